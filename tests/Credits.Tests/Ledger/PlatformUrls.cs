namespace Credits.Tests.Ledger;

/// <summary>The connection URLs hosting platforms document, as users paste them into DATABASE_URL.</summary>
public static class PlatformUrls
{
    public static readonly IReadOnlyDictionary<string, string> Forms = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["neon"] = "postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require&channel_binding=require",
        ["neon-pooled"] = "postgresql://alex:AbC123dEf@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/dbname?sslmode=require&channel_binding=require",
        ["render-internal"] = "postgresql://credits_user:s3cr3tPw@dpg-cn1abc2def3ghi4jk5l0-a/credits_db",
        ["render-external"] = "postgresql://credits_user:s3cr3tPw@dpg-cn1abc2def3ghi4jk5l0-a.oregon-postgres.render.com/credits_db",
        ["supabase"] = "postgresql://postgres:s3cr3tPw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres",
        ["supabase-pooler"] = "postgres://postgres.abcdefghijklmnopqrst:s3cr3tPw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1",
        ["heroku"] = "postgres://u9abc:p0def@c5hilnj7pn10vb.cluster-czrs8kj4isg7.us-east-1.rds.amazonaws.com:5432/d8ghi7jkl",
        ["railway"] = "postgresql://postgres:s3cr3tPw@postgres.railway.internal:5432/railway",
        ["railway-public"] = "postgresql://postgres:s3cr3tPw@monorail.proxy.rlwy.net:41234/railway",
        ["fly"] = "postgres://credits:s3cr3tPw@credits-db.flycast:5432/credits?sslmode=disable",
    };
}
