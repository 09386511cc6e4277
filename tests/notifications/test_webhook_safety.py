from types import SimpleNamespace

import pytest

from notifications.channels import ChannelError, webhook_post


@pytest.mark.parametrize(
    "address",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hooks/x",
        "http://127.0.0.2:6379/",
        "http://[::1]/hook",
    ],
)
def test_a_webhook_on_a_private_address_is_refused_for_good(address):
    message = SimpleNamespace(address=address, chat_text="hello", key="k")
    with pytest.raises(ChannelError) as excinfo:
        webhook_post(message)
    assert excinfo.value.permanent
    assert "not a public address" in str(excinfo.value)
