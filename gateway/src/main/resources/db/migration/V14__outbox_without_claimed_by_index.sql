-- Keyhold schema, version 14 (issue 12): one index fewer to write with every outbox row claimed.
--
-- A lifecycle's four outbox rows are claimed by the instance that queued them, and each claim wrote an entry into
-- outbox_claimed_by. Only two statements read it, both rare: the heartbeat handing a dead instance's rows back, and
-- an instance taking back its own claims after a database outage. Both name state = 'pending', so they read the
-- pending rows through outbox_due instead: the outbox's backlog, not its history.
DROP INDEX outbox_claimed_by;
