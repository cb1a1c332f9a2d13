-- The country whose numbers a LINK request may write in local form
-- (`92555555` with NO is +4792555555): an ISO 3166-1 alpha-2 code the admin
-- API checked, or NULL: numbers must then be international (+ or 00).
ALTER TABLE accounts ADD COLUMN default_country TEXT;
