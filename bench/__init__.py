"""Speed and memory benchmarks of the knowledge base, run by hand (never by the tests).

    python -m bench.run                      # seed corpus, then 100k synthetic clauses (~6 min)
    python -m bench.run --only small         # seed corpus only (~2.5 min on 2 idle cores)
    python -m bench.run --only large --size 100000
    python -m bench.synthetic --out /tmp/synth --size 20000   # just write a synthetic corpus

See bench/run.py for the options and bench/results.md for the last results.
"""
