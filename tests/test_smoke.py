from tests.helpers import get_case, login, report


def test_citizen_report_is_triaged_and_located(client):
    h = login(client, "citizen01")
    case = report(client, h, grid="ZR01")
    assert case["tracking_no"].startswith("SSP")
    # Where it lies in the grids is for staff: the reporter's view leaves it out.
    assert "responsibility_grid" not in case
    located = get_case(client, login(client, "operator01"), case["id"])
    assert located["responsibility_grid"] == "ZR01"
    assert len(located["unit_grid"]) == 15
