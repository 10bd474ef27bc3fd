from tests.helpers import login, report


def test_citizen_report_is_triaged_and_located(client):
    h = login(client, "citizen01")
    case = report(client, h, grid="ZR01")
    assert case["tracking_no"].startswith("SSP")
    assert case["responsibility_grid"] == "ZR01"
    assert len(case["unit_grid"]) == 15
