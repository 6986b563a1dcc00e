-- Keyhold schema, version 13 (issue 12): two indexes fewer to write with every ledger posting.
--
-- A lifecycle writes about five postings, and every posting wrote an entry into each index of ledger_postings. Two
-- of them served no query well:
-- - ledger_postings_by_txn (txn_id) was read by no statement: the ledger audit groups the whole table by
--   transaction, which no index helps.
-- - ledger_postings_by_account (account) was chosen for a buyer view's sums ("this order's postings to refunds:out")
--   only while such global accounts were small; each sum reads the order's few postings by
--   ledger_postings_by_order instead. A deposit's history names the partial index of deposit postings
--   (ledger_postings_deposits), newest first.
DROP INDEX ledger_postings_by_txn;
DROP INDEX ledger_postings_by_account;
