using Credits.Ledger.Storage;
using Npgsql;

namespace Credits.Tests.Ledger;

/// <summary>DATABASE_URL: libpq URL parameters mapped to Npgsql, ORM conventions, and one-sentence errors.</summary>
public sealed class DatabaseUrlTests
{
    private static (NpgsqlConnectionStringBuilder Builder, DatabaseSettings Settings) Parse(string url, bool pooler = false)
    {
        var settings = DatabaseSettings.Postgres(url, pooler: pooler);
        return (new NpgsqlConnectionStringBuilder(settings.ConnectionString), settings);
    }

    [Theory]
    [InlineData("neon", "ep-cool-darkness-123456.us-east-2.aws.neon.tech", 5432, "dbname", "alex", "AbC123dEf", SslMode.Require, ChannelBinding.Require, false)]
    [InlineData("neon-pooled", "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", 5432, "dbname", "alex", "AbC123dEf", SslMode.Require, ChannelBinding.Require, false)]
    [InlineData("render-internal", "dpg-cn1abc2def3ghi4jk5l0-a", 5432, "credits_db", "credits_user", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("render-external", "dpg-cn1abc2def3ghi4jk5l0-a.oregon-postgres.render.com", 5432, "credits_db", "credits_user", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("supabase", "db.abcdefghijklmnopqrst.supabase.co", 5432, "postgres", "postgres", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("supabase-pooler", "aws-0-eu-central-1.pooler.supabase.com", 6543, "postgres", "postgres.abcdefghijklmnopqrst", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, true)]
    [InlineData("heroku", "c5hilnj7pn10vb.cluster-czrs8kj4isg7.us-east-1.rds.amazonaws.com", 5432, "d8ghi7jkl", "u9abc", "p0def", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("railway", "postgres.railway.internal", 5432, "railway", "postgres", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("railway-public", "monorail.proxy.rlwy.net", 41234, "railway", "postgres", "s3cr3tPw", SslMode.Prefer, ChannelBinding.Prefer, false)]
    [InlineData("fly", "credits-db.flycast", 5432, "credits", "credits", "s3cr3tPw", SslMode.Disable, ChannelBinding.Prefer, false)]
    public void Each_platforms_documented_url_maps_to_the_same_connection(
        string form, string host, int port, string database, string user, string password, SslMode ssl, ChannelBinding binding, bool pooler)
    {
        var (builder, settings) = Parse(PlatformUrls.Forms[form]);

        Assert.Equal((host, port, database, user, password), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal((ssl, binding), (builder.SslMode, builder.ChannelBinding));
        Assert.Equal(pooler, settings.Pooler);
        Assert.Equal(pooler ? 0 : 64, builder.MaxAutoPrepare);
        Assert.True(builder.NoResetOnClose);
    }

    [Fact]
    public void The_issue_examples_and_the_libpq_parameters_are_mapped()
    {
        var (builder, _) = Parse("postgresql://u:p@db.example.com/db?sslmode=disable&application_name=credits&connect_timeout=10"
            + "&options=-c%20search_path%3Dledger&target_session_attrs=read-write&keepalives=1&keepalives_idle=30&keepalives_interval=5"
            + "&sslrootcert=%2Fetc%2Fca.pem&sslcert=%2Fetc%2Fc.pem&sslkey=%2Fetc%2Fk.pem&sslpassword=kp&gssencmode=disable&krbsrvname=pg"
            + "&client_encoding=UTF8&require_auth=scram-sha-256,md5&load_balance_hosts=random&sslnegotiation=postgres&passfile=%2Fetc%2Fpgpass");

        Assert.Equal((SslMode.Disable, "credits", 10), (builder.SslMode, builder.ApplicationName, builder.Timeout));
        Assert.Equal(("-c search_path=ledger", "read-write"), (builder.Options, builder.TargetSessionAttributes));
        Assert.Equal((true, 30, 5), (builder.TcpKeepAlive, builder.TcpKeepAliveTime, builder.TcpKeepAliveInterval));
        Assert.Equal(("/etc/ca.pem", "/etc/c.pem", "/etc/k.pem", "kp"), (builder.RootCertificate, builder.SslCertificate, builder.SslKey, builder.SslPassword));
        Assert.Equal((GssEncryptionMode.Disable, "pg", "UTF8"), (builder.GssEncryptionMode, builder.KerberosServiceName, builder.ClientEncoding));
        Assert.Equal(("ScramSHA256,MD5", true, SslNegotiation.Postgres, "/etc/pgpass"), (builder.RequireAuth, builder.LoadBalanceHosts, builder.SslNegotiation, builder.Passfile));
    }

    [Fact]
    public void ORM_conventions_select_pooler_mode_pool_size_and_schema()
    {
        var (builder, settings) = Parse("postgres://u:p@h:6543/db?pgbouncer=true&connection_limit=5&schema=credits");

        Assert.True(settings.Pooler);
        Assert.Equal((0, 5, "credits"), (builder.MaxAutoPrepare, builder.MaxPoolSize, builder.SearchPath));
        Assert.Contains("pooler-safe mode", settings.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void CREDITS_DB_POOLER_transaction_selects_pooler_mode_for_a_url_or_a_connection_string()
    {
        Assert.Equal(0, Parse("postgres://u:p@h/db", pooler: true).Builder.MaxAutoPrepare);
        Assert.Equal(0, Parse("Host=h;Username=u;Max Auto Prepare=20", pooler: true).Builder.MaxAutoPrepare);
        Assert.Equal(20, Parse("Host=h;Username=u;Max Auto Prepare=20").Builder.MaxAutoPrepare);
    }

    [Fact]
    public void Hosts_ports_sockets_and_encoded_credentials_follow_libpq()
    {
        var (encoded, _) = Parse("postgres://us%40r:p%40ss%2Fw%3Ard@h/my%20db");
        Assert.Equal(("us@r", "p@ss/w:rd", "my db"), (encoded.Username, encoded.Password, encoded.Database));

        Assert.Equal("h1:5433,h2:5434", Parse("postgres://u@h1:5433,h2:5434/db?target_session_attrs=primary").Builder.Host);
        var (ipv6, _) = Parse("postgres://u@[::1]:5433/db");
        Assert.Equal(("::1", 5433), (ipv6.Host, ipv6.Port));
        Assert.Equal("/var/run/postgresql", Parse("postgresql:///db?host=%2Fvar%2Frun%2Fpostgresql&user=u").Builder.Host);
        Assert.Equal("fallback", Parse("postgres://u@h/db?fallback_application_name=fallback").Builder.ApplicationName);
        Assert.Equal("chosen", Parse("postgres://u@h/db?application_name=chosen&fallback_application_name=fallback").Builder.ApplicationName);
        Assert.Null(Parse("postgres://u@h/db?sslmode=verify-full&sslrootcert=system").Builder.RootCertificate);
        Assert.Equal("!MD5,!Password", Parse("postgres://u@h/db?require_auth=!md5,!password").Builder.RequireAuth);
    }

    [Theory]
    [InlineData("postgres://u@h/db?foo=1", "DATABASE_URL has an unknown parameter 'foo'; remove it, or see docs/database.md for the parameters Credits understands.")]
    [InlineData("postgres://u@h/db?keepalives_count=3", "DATABASE_URL parameter 'keepalives_count' has no equivalent in Npgsql, the PostgreSQL driver Credits uses; remove it from the URL.")]
    [InlineData("postgres://u@h/db?sslmode=on", "DATABASE_URL parameter sslmode=on is not one of disable, allow, prefer, require, verify-ca, verify-full.")]
    [InlineData("postgres://u@h/db?connect_timeout=soon", "DATABASE_URL parameter connect_timeout=soon is not a whole number between 0 and 1024.")]
    [InlineData("postgres://u@h/db?pgbouncer=maybe", "DATABASE_URL parameter pgbouncer=maybe is neither true nor false.")]
    [InlineData("postgres://u@h:port/db", "DATABASE_URL parameter port=port is not a whole number between 1 and 65535.")]
    [InlineData("postgres:///db", "DATABASE_URL names no host; expected postgres://user:password@host:5432/database.")]
    [InlineData("Host=h;Bogus=1", "DATABASE_URL is neither a postgres:// URL nor a valid Npgsql connection string; check its 'bogus' setting.")]
    [InlineData("postgres://u@h/db?require_auth=md5,!password",
        "DATABASE_URL parameter require_auth=md5,!password is not accepted by Npgsql: Mixing both positive and negative authentication methods is not supported.")]
    [InlineData("postgres://u@h/db?require_auth=kerberos", "DATABASE_URL parameter require_auth=kerberos is not one of password, md5, gss, sspi, scram-sha-256, none.")]
    public void A_bad_url_is_one_sentence_naming_what_to_fix(string url, string message)
    {
        var error = Assert.Throws<DatabaseUrlException>(() => DatabaseSettings.Postgres(url));

        Assert.Equal(message, error.Message);
    }
}
