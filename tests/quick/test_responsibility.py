from indexer.ingest.responsibility import find_inline_notes, is_note_line, parse_note


def only_note(text):
    (note,) = find_inline_notes(text)
    return note.responsibility


def test_half_width_note_of_the_seed():
    note = only_note("确保不失学辍学。(牵头领导:李祖习;责任单位:局基础教育科、各县市区教育局)")
    assert note.leads == ["李祖习"]
    assert note.units == ["局基础教育科", "各县市区教育局"]


def test_full_width_note_with_several_leads_and_commas():
    note = only_note("……。（牵头领导：张三、李四；责任单位：局人事科，局计划财务科）")
    assert note.leads == ["张三", "李四"]
    assert note.units == ["局人事科", "局计划财务科"]


def test_unit_names_holding_brackets_and_enumeration_commas():
    note = only_note("……。（责任单位：各市、州、县人民政府，省教育厅、省文化厅等）")
    assert note.units == ["各市、州、县人民政府", "省教育厅", "省文化厅"]
    note = only_note("……。〔责任单位：市教育局、市财政局、各县（市、区）政府〕")
    assert note.units == ["市教育局", "市财政局", "各县（市、区）政府"]
    note = only_note("……。（责任单位：市〔州〕人民政府、省教育厅）")
    assert note.units == ["市〔州〕人民政府", "省教育厅"]


def test_lead_and_cooperating_departments():
    note = only_note("……。（牵头部门：省人力资源社会保障厅，配合部门：省教育厅）")
    assert note.lead_units == ["省人力资源社会保障厅"]
    assert note.cooperating_units == ["省教育厅"]


def test_note_on_a_line_of_its_own_with_abbreviated_units():
    line = "　　牵头部门：市教育局　　配合部门：市财政局、人社局，团市委"
    assert is_note_line(line)
    note = parse_note(line)
    assert note.lead_units == ["市教育局"]
    assert note.cooperating_units == ["市财政局", "市人社局", "团市委"]


def test_plain_text_mentioning_a_department_is_not_a_note():
    assert find_inline_notes("各级政府要认真履行职责（详见附件）") == []
    assert not is_note_line("联席会议由省政府办公厅、省教育厅组成")
