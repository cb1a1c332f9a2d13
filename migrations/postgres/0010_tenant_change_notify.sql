-- Every instance keeps the tenant rows its requests read in memory. Any
-- change to a tenant table, through any instance or by hand, notifies
-- `wagate_tenants` when its transaction commits, and every listening
-- instance drops what it kept. Per statement: one notification per write,
-- however many rows it touched (PostgreSQL also folds identical
-- notifications of one transaction into one).
CREATE FUNCTION wagate_notify_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wagate_tenants', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION wagate_notify_tenants();
CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION wagate_notify_tenants();
CREATE TRIGGER sources_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sources
    FOR EACH STATEMENT EXECUTE FUNCTION wagate_notify_tenants();
CREATE TRIGGER gates_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON gates
    FOR EACH STATEMENT EXECUTE FUNCTION wagate_notify_tenants();
CREATE TRIGGER routes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routes
    FOR EACH STATEMENT EXECUTE FUNCTION wagate_notify_tenants();
