-- Meta's statuses keyed by the part they name. wagate sends each part's
-- key along with its request (`biz_opaque_callback_data`, see
-- wagate_domain::part_tag) and Meta hands it back in the part's statuses:
-- keyed by message id first (time-ordered), a status's index entry lands
-- beside those of the messages sent about when its own was, where a key
-- that starts with the wamid (a random string) put each status on a leaf
-- page of its own. A status is still kept once per (wamid, business
-- number, status): the insert looks for it under the other key too (with
-- or without a tag). The statuses stored before carry none ('').
ALTER TABLE meta_statuses ADD COLUMN message_id TEXT NOT NULL DEFAULT '',
                          ADD COLUMN message_index BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meta_statuses DROP CONSTRAINT meta_statuses_pkey,
                          ADD PRIMARY KEY (message_id, wamid, phone_number_id, status);
