-- A status is kept once per (wamid, business number, status): a status
-- that names another business number than the message was sent from is
-- never applied, and must not take the place of the genuine one that
-- follows.
ALTER TABLE meta_statuses DROP CONSTRAINT meta_statuses_pkey,
                          ADD PRIMARY KEY (wamid, phone_number_id, status);
