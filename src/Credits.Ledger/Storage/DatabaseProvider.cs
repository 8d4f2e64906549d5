namespace Credits.Ledger.Storage;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}
