-- The Devino dialect. A message may name its own callback URL, and the data
-- its status callbacks carry back (`callbackData`, sent as `options`).
ALTER TABLE messages ADD COLUMN callback_url TEXT;
ALTER TABLE messages ADD COLUMN callback_data TEXT;

-- A callback addressed to its own URL instead of its gate's: the gate then
-- stands for the URL's origin, and holds that origin's share of the slots.
ALTER TABLE deliveries ADD COLUMN url TEXT;

-- Numbers handed out in blocks (Devino's numeric message ids): `next` is the
-- first number no instance has taken yet.
CREATE TABLE number_blocks (
    name TEXT PRIMARY KEY,
    next BIGINT NOT NULL
);
