"""The filesystem broker (the development default), with atomic message files.

kombu's filesystem transport writes a message straight into its final file name, so a
consumer polling the folder can move and read it before the bytes are there: an empty
file, a JSONDecodeError, and the whole worker stops ("Unrecoverable error"). Broadcasts
(revoke, inspect, ping) are such files too, one per worker, so the more often they are
sent (the watchdog asks the workers what they hold) the likelier the race. Here a message
is written under a temporary name no queue matches and renamed into place, which is
atomic on one filesystem. `config.celery` makes `filesystem://` use this transport.
"""

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        """Put `payload` onto `queue`: write a temporary file, then rename it into place."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        temporary = os.path.join(self.data_folder_out, f".writing-{uuid.uuid4()}")
        try:
            with open(temporary, "wb", buffering=0) as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
