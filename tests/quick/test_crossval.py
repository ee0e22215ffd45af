"""The fusion cross-validation of eval/: every question held out once, the weight chosen on the
other folds only."""

from eval.crossval import FOLDS, cross_validate, folds_of


def test_folds_hold_every_question_out_exactly_once():
    folds = folds_of(23)
    assert len(folds) == FOLDS
    assert sorted(i for fold in folds for i in fold) == list(range(23))


def test_the_weight_is_chosen_on_the_other_folds_and_scored_on_the_held_out_one():
    count = 40
    hit, miss = (True, 1), (False, None)
    settings = {
        "dense": [miss] * count,
        "good": [hit] * count,
        "bad": [miss] * count,
        # right only on the first fold's questions: never best on the folds that train for it
        "lucky": [hit if i in set(folds_of(count)[0]) else miss for i in range(count)],
    }
    result = cross_validate(settings, ["good", "bad", "lucky"])
    assert result["chosen"] == ["good"] * FOLDS
    held = result["score fusion (cross-validated)"]
    assert len(held) == count and all(row == hit for row in held)
    assert result["dense"] == [miss] * count
    assert "good" not in result and "lucky" not in result
