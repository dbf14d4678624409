"""The one consumer of the event store's change stream (DynamoDB Streams allow two readers
per shard): it reads each change record through the mapper and hands the commit's recorded
domain events to every projection and reactor registered with it."""
