from hub.models import VendorCustomer
from hub.sync import run_sync
from hub.extensions import db


def test_first_sync(fake_integration, fake_vendor):
    fake_vendor.add("c1", "Contoso", seats=5)
    run = run_sync("fake")
    assert run.status == "succeeded", run.error_message
    rows = db.session.execute(db.select(VendorCustomer)).scalars().all()
    assert [r.name for r in rows] == ["Contoso"]
