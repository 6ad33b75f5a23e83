"""moto's server with DynamoDB's atomicity.

moto answers requests on several threads, and its DynamoDB backend checks a write's condition
and applies the write without a lock, so two concurrent conditional writes (or transactions)
can both pass a condition that real DynamoDB lets only one pass. The tests rely on that
guarantee (racing refunds, racing creates, forget racing additions), so every DynamoDB
operation here runs under one lock. SQS is left concurrent: its long polls would otherwise
stall everything.

Usage: python moto_server.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import functools
import threading

from moto import server
from moto.dynamodb.models import DynamoDBBackend

_LOCK = threading.RLock()

_OPERATIONS = [
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "transact_get_items",
    "transact_write_items",
]


def _serialised(operation):
    @functools.wraps(operation)
    def locked(*args, **kwargs):
        with _LOCK:
            return operation(*args, **kwargs)

    return locked


for _name in _OPERATIONS:
    if hasattr(DynamoDBBackend, _name):
        setattr(DynamoDBBackend, _name, _serialised(getattr(DynamoDBBackend, _name)))

if __name__ == "__main__":
    server.main()
