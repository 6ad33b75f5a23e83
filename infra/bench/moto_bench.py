"""moto for `make bench`: infra/scripts/moto_server.py (DynamoDB's atomicity) with two costs
that grow with the table taken out. A bench writes tens of thousands of items into one table;
with moto as it is, the bench would take hours:

- TransactWriteItems deep-copies the whole table once per item of the transaction, to roll back
  if one fails (measured: 19 GB of memory and 2 invocations a second after a few thousand
  orders). Here a transaction snapshots only the items it names and puts them back if it fails,
  which is the same rollback: a transaction changes nothing else.
- Query on the table (not an index) sorts and scans every item of the table for the partition's
  (measured: 500 ms per GET wallet). Here it looks at the partition only, in the same order.

The functions' figures do not depend on moto's speed: their CPU is their own, and a cold start
is counted without the time spent waiting on moto.

Usage: python moto_bench.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import copy
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_LAUNCHER = os.path.join(_HERE, "..", "scripts", "moto_server.py")

_spec = importlib.util.spec_from_file_location("payments_moto_server", _LAUNCHER)
_moto_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_moto_server)  # its DynamoDB lock, without starting the server

from moto import server  # noqa: E402
from moto.dynamodb import models as _models  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402


class _NoTableCopy:
    """The `copy` module as moto's DynamoDB models see it, except that a Table is not copied."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, _models.Table):
            return value
        return copy.deepcopy(value, memo)


_models.copy = _NoTableCopy()
_transact_write_items = DynamoDBBackend.transact_write_items


def _key(table, op):
    if "Key" in op:
        return op["Key"]
    item = op.get("Item", {})
    names = [table.hash_key_attr, table.range_key_attr]
    return {name: item[name] for name in names if name is not None and name in item}


def _transact_write_items_snapshotting(self, transact_items):
    with _moto_server._LOCK:
        snapshots = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = _key(table, op)
            try:
                before = self.get_item(table.name, key)
            except Exception:  # an invalid key: the transaction itself will refuse it
                continue
            snapshots.append((table.name, key, copy.deepcopy(before)))
        try:
            return _transact_write_items(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(snapshots):
                if before is None:
                    try:
                        self.delete_item(table_name, key)
                    except Exception:
                        pass
                else:
                    self.put_item(table_name, before.to_json()["Attributes"])
            raise


DynamoDBBackend.transact_write_items = _transact_write_items_snapshotting

_query = _models.Table.query


def _query_one_partition(self, *args, **kwargs):
    # Positional as moto's backend calls it: hash_key first, index_name eighth.
    hash_key = args[0] if args else kwargs.get("hash_key")
    index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return _query(self, *args, **kwargs)
    partition = self.items.get(hash_key)
    if partition is None:
        items = []
    elif self.range_key_attr:
        items = sorted(partition.values(), key=lambda item: item.range_key)
    else:
        items = [partition]
    # moto's query reads its candidates from all_items(): only this partition's, here.
    self.all_items = lambda: items
    try:
        return _query(self, *args, **kwargs)
    finally:
        del self.all_items


_models.Table.query = _query_one_partition

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    server.main()
