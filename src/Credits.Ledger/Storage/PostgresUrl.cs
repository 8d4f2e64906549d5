using System.Globalization;
using Npgsql;

namespace Credits.Ledger.Storage;

/// <summary>
/// Reads a libpq connection URI (<c>postgres://user:password@host:port/database?param=value</c>), the
/// form hosting platforms hand out, into Npgsql settings. Every libpq parameter that Npgsql has an
/// equivalent for is mapped, plus the ORM conventions platforms document (<c>pgbouncer</c>,
/// <c>connection_limit</c>, <c>schema</c>); anything else is an error naming the parameter, so a
/// setting is never silently dropped. docs/database.md lists them.
/// </summary>
internal static class PostgresUrl
{
    /// <summary>What the URL asks for beyond the connection string itself.</summary>
    internal sealed record Parsed(NpgsqlConnectionStringBuilder Builder, bool Pooler);

    public static bool IsUrl(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    // libpq parameters (https://www.postgresql.org/docs/current/libpq-connect.html) with no Npgsql equivalent.
    private static readonly HashSet<string> WithoutEquivalent = new(StringComparer.Ordinal)
    {
        "hostaddr", "keepalives_count", "tcp_user_timeout", "replication", "requiressl", "sslcompression",
        "sslcertmode", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
        "ssl_max_protocol_version", "gsslib", "gssdelegation", "service",
    };

    public static Parsed Parse(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var query = Cut(ref rest, '?');
        var path = Cut(ref rest, '/');
        var at = rest.LastIndexOf('@');
        var userInfo = at >= 0 ? rest[..at] : "";
        var hosts = at >= 0 ? rest[(at + 1)..] : rest;

        var builder = new NpgsqlConnectionStringBuilder();
        if (hosts.Length > 0)
        {
            SetHosts(builder, hosts);
        }
        if (path is { Length: > 0 })
        {
            builder.Database = Decode(path, "the database name");
        }
        if (userInfo.Length > 0)
        {
            var colon = userInfo.IndexOf(':');
            builder.Username = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "the user name");
            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..], "the password");
            }
        }

        var pooler = false;
        string? fallbackName = null;
        foreach (var pair in (query ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var key = Decode(equals >= 0 ? pair[..equals] : pair, "a parameter name");
            var value = equals >= 0 ? Decode(pair[(equals + 1)..], $"the value of {key}") : "";
            switch (key)
            {
                case "pgbouncer":
                    pooler = Flag(key, value);
                    break;
                case "fallback_application_name":
                    fallbackName = value;
                    break;
                default:
                    try
                    {
                        Apply(builder, key, value);
                    }
                    catch (ArgumentException e)
                    {
                        throw new DatabaseUrlException($"DATABASE_URL parameter {key}={value} is not accepted by Npgsql: {e.Message.Split(" (Parameter", 2)[0].TrimEnd('.')}.");
                    }
                    break;
            }
        }
        if (fallbackName is not null && string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = fallbackName;
        }
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new DatabaseUrlException("DATABASE_URL names no host; expected postgres://user:password@host:5432/database.");
        }
        return new Parsed(builder, pooler);
    }

    private static void Apply(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key)
        {
            case "host": SetHosts(builder, value); break;
            case "port": builder.Port = Number(key, value, 1, 65535); break;
            case "dbname": builder.Database = value; break;
            case "user": builder.Username = value; break;
            case "password": builder.Password = value; break;
            case "passfile": builder.Passfile = value; break;
            case "application_name": builder.ApplicationName = value; break;
            case "client_encoding": builder.ClientEncoding = value; break;
            case "options": builder.Options = value; break;
            case "connect_timeout": builder.Timeout = Number(key, value, 0, 1024); break;
            case "keepalives": builder.TcpKeepAlive = Number(key, value, 0, 1) == 1; break;
            case "keepalives_idle": builder.TcpKeepAliveTime = Number(key, value, 0, int.MaxValue / 1000); break;
            case "keepalives_interval": builder.TcpKeepAliveInterval = Number(key, value, 0, int.MaxValue / 1000); break;
            case "sslmode": builder.SslMode = OneOf(key, value, SslModes); break;
            case "sslnegotiation": builder.SslNegotiation = OneOf(key, value, SslNegotiations); break;
            case "sslcert": builder.SslCertificate = value; break;
            case "sslkey": builder.SslKey = value; break;
            case "sslpassword": builder.SslPassword = value; break;
            // "system" asks for the operating system's trust store, which Npgsql uses when no root certificate is given.
            case "sslrootcert": builder.RootCertificate = value == "system" ? null : value; break;
            case "channel_binding": builder.ChannelBinding = OneOf(key, value, ChannelBindings); break;
            case "gssencmode": builder.GssEncryptionMode = OneOf(key, value, GssModes); break;
            case "krbsrvname": builder.KerberosServiceName = value; break;
            case "require_auth": builder.RequireAuth = RequireAuth(value); break;
            case "target_session_attrs": builder.TargetSessionAttributes = OneOf(key, value, SessionAttributes); break;
            case "load_balance_hosts": builder.LoadBalanceHosts = OneOf(key, value, LoadBalancing); break;
            // ORM conventions: Prisma's pool size and schema, node-postgres' ssl flag.
            case "connection_limit": builder.MaxPoolSize = Number(key, value, 1, 1024); break;
            case "schema": builder.SearchPath = value; break;
            case "ssl": builder.SslMode = Flag(key, value) ? SslMode.Require : SslMode.Disable; break;
            default:
                throw new DatabaseUrlException(WithoutEquivalent.Contains(key)
                    ? $"DATABASE_URL parameter '{key}' has no equivalent in Npgsql, the PostgreSQL driver Credits uses; remove it from the URL."
                    : $"DATABASE_URL has an unknown parameter '{key}'; remove it, or see docs/database.md for the parameters Credits understands.");
        }
    }

    private static readonly Dictionary<string, SslMode> SslModes = new(StringComparer.Ordinal)
    {
        ["disable"] = SslMode.Disable, ["allow"] = SslMode.Allow, ["prefer"] = SslMode.Prefer,
        ["require"] = SslMode.Require, ["verify-ca"] = SslMode.VerifyCA, ["verify-full"] = SslMode.VerifyFull,
    };

    private static readonly Dictionary<string, SslNegotiation> SslNegotiations = new(StringComparer.Ordinal)
    {
        ["postgres"] = SslNegotiation.Postgres, ["direct"] = SslNegotiation.Direct,
    };

    private static readonly Dictionary<string, ChannelBinding> ChannelBindings = new(StringComparer.Ordinal)
    {
        ["disable"] = ChannelBinding.Disable, ["prefer"] = ChannelBinding.Prefer, ["require"] = ChannelBinding.Require,
    };

    private static readonly Dictionary<string, GssEncryptionMode> GssModes = new(StringComparer.Ordinal)
    {
        ["disable"] = GssEncryptionMode.Disable, ["prefer"] = GssEncryptionMode.Prefer, ["require"] = GssEncryptionMode.Require,
    };

    private static readonly Dictionary<string, string> SessionAttributes = new[]
        { "any", "read-write", "read-only", "primary", "standby", "prefer-standby" }.ToDictionary(v => v, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> AuthMethods = new(StringComparer.Ordinal)
    {
        ["password"] = "Password", ["md5"] = "MD5", ["gss"] = "GSS", ["sspi"] = "SSPI", ["scram-sha-256"] = "ScramSHA256", ["none"] = "None",
    };

    /// <summary>libpq's method names (scram-sha-256, md5, ...; "!" excludes one) in Npgsql's spelling.</summary>
    private static string RequireAuth(string value) => string.Join(',', value.Split(',').Select(method =>
    {
        var negated = method.StartsWith('!');
        return (negated ? "!" : "") + OneOf("require_auth", negated ? method[1..] : method, AuthMethods);
    }));

    private static readonly Dictionary<string, bool> LoadBalancing = new(StringComparer.Ordinal) { ["disable"] = false, ["random"] = true };

    /// <summary>One or more <c>host[:port]</c> separated by commas; IPv6 addresses in brackets; a path is a Unix socket folder.</summary>
    private static void SetHosts(NpgsqlConnectionStringBuilder builder, string hosts)
    {
        var parts = new List<(string Host, int? Port)>();
        foreach (var part in hosts.Split(','))
        {
            var host = part;
            string? port = null;
            var close = part.StartsWith('[') ? part.IndexOf(']') : -1;
            var colon = close >= 0 ? part.IndexOf(':', close) : part.LastIndexOf(':');
            if (colon >= 0)
            {
                host = part[..colon];
                port = part[(colon + 1)..];
            }
            host = Decode(close >= 0 ? host.Trim('[', ']') : host, "the host");
            parts.Add((host, port is { Length: > 0 } ? Number("port", port, 1, 65535) : null));
        }
        if (parts.Count == 1)
        {
            builder.Host = parts[0].Host;
            if (parts[0].Port is { } single)
            {
                builder.Port = single;
            }
            return;
        }
        builder.Host = string.Join(',', parts.Select(p => p.Port is { } port
            ? $"{(p.Host.Contains(':', StringComparison.Ordinal) ? $"[{p.Host}]" : p.Host)}:{port.ToString(CultureInfo.InvariantCulture)}"
            : p.Host));
    }

    private static string? Cut(ref string text, char separator)
    {
        var index = text.IndexOf(separator);
        if (index < 0)
        {
            return null;
        }
        var tail = text[(index + 1)..];
        text = text[..index];
        return tail;
    }

    private static string Decode(string text, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw new DatabaseUrlException($"DATABASE_URL has a malformed percent-encoding in {what}; encode special characters as %XX.");
        }
    }

    private static int Number(string key, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new DatabaseUrlException($"DATABASE_URL parameter {key}={value} is not a whole number between {min} and {max}.");

    private static bool Flag(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new DatabaseUrlException($"DATABASE_URL parameter {key}={value} is neither true nor false."),
    };

    private static T OneOf<T>(string key, string value, Dictionary<string, T> choices) =>
        choices.TryGetValue(value, out var choice)
            ? choice
            : throw new DatabaseUrlException($"DATABASE_URL parameter {key}={value} is not one of {string.Join(", ", choices.Keys)}.");
}
