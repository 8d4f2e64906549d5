using System.Text.Json;
using System.Text.RegularExpressions;
using Credits.Ledger;
using Credits.Stripe;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Ledger;

/// <summary>The one-statement fast paths are composed from their tables' own fragments; what the benchmark measures is what the server sends.</summary>
public sealed partial class FastPathSqlTests
{
    /// <summary>The pgbench value standing in for each parameter the server binds (bench/hotpath.sql's header explains them).</summary>
    private static readonly Dictionary<string, string> BenchValues = new(StringComparer.Ordinal)
    {
        ["EventId"] = "'evt_pgb' || :n",
        ["Type"] = "'checkout.session.completed'",
        ["Livemode"] = "0",
        ["ApiVersion"] = "'2024-06-20'",
        ["Created"] = "1795785683",
        ["Payload"] = "PAYLOAD",
        ["AccountId"] = "'bench_pgb_u' || :uid",
        ["Credits"] = ":credits",
        ["SessionId"] = "'cs_test_pgb' || :n",
        ["PaymentIntent"] = "'pi_pgb' || :n",
        ["AmountTotal"] = ":amount",
        ["Currency"] = "'usd'",
        ["Customer"] = "'cus_pgb' || :uid",
        ["Email"] = "'bench_pgb_u' || :uid || '@example.com'",
        ["Reason"] = "'Stripe Checkout 3500 usd'",
        ["Now"] = ":now",
        ["CreateUnknown"] = "true",
        ["ExpiresAt"] = "NULL",
    };

    [Fact]
    public void Bench_hotpath_sql_is_the_statement_the_server_sends_for_a_granted_checkout()
    {
        var bench = PayloadLiteral().Replace(Statement("bench/hotpath.sql"), "PAYLOAD", 1);

        var server = Parameter().Replace(OneStatementGrant.Sql, m => BenchValues.TryGetValue(m.Groups[1].Value, out var value)
            ? value
            : throw new InvalidOperationException($"@{m.Groups[1].Value} has no pgbench value in this test"));

        Assert.Equal(Words(server), Words(bench));
    }

    /// <summary>The same for bench/spendpath.sql and the one-statement spend (Npgsql types the numbers; pgbench needs the casts).</summary>
    private static readonly Dictionary<string, string> SpendBenchValues = new(StringComparer.Ordinal)
    {
        ["accountId"] = "'bench_sp_u' || CAST(:uid AS text)",
        ["key"] = "'k' || CAST(:n AS text)",
        ["credits"] = "CAST(:credits AS bigint)",
        ["now"] = "CAST(:now AS bigint)",
        ["kind"] = "'spend'",
        ["sourceId"] = "'bench_sp_u' || CAST(:uid AS text) || chr(58) || 'k' || CAST(:n AS text)",
        ["reason"] = "'bench: one resume match'",
        ["hash"] = "'ac7bdf63aa82828f21b11d5277eea42e1fa3138d8bffc34e7c075b03c243b4de'",
    };

    [Fact]
    public void Bench_spendpath_sql_is_the_statement_the_server_sends_for_a_spend()
    {
        var bench = Statement("bench/spendpath.sql");
        var server = Parameter().Replace(Spending.SpendInOneStatement, m => SpendBenchValues.TryGetValue(m.Groups[1].Value, out var value)
            ? value
            : throw new InvalidOperationException($"@{m.Groups[1].Value} has no pgbench value in this test"));

        Assert.Equal(Words(server), Words(bench));
    }

    /// <summary>A pgbench script's one statement, between its BEGIN; and COMMIT; lines.</summary>
    private static string Statement(string path)
    {
        var script = RepositoryRoot.Read(path);
        var begin = script.IndexOf("BEGIN;\n", StringComparison.Ordinal) + "BEGIN;\n".Length;
        var end = script.LastIndexOf(";\nCOMMIT;", StringComparison.Ordinal);
        Assert.True(begin > 6 && end > begin, $"{path} has no BEGIN; … ;COMMIT; around its statement");
        return script[begin..end];
    }

    [Fact]
    public void The_one_statement_spend_stores_every_property_of_a_movement_under_its_own_name()
    {
        var movement = new Movement(1, "acct", "spend", 2, null, 3, 4, 5);
        var keys = JsonDocument.Parse(JsonSerializer.Serialize(movement)).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        foreach (var sql in new[] { Spending.OneStatement(-1, ""), Spending.OneStatement(1, "") })
        {
            var built = JsonKey().Matches(sql[sql.IndexOf("json_build_object(", StringComparison.Ordinal)..]).Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(keys, built);
        }
    }

    /// <summary>The statement as a sequence of words: layout differs between the C# source and the script, tokens do not.</summary>
    private static string Words(string sql) => Whitespace().Replace(sql, " ").Replace("( ", "(").Replace(" )", ")").Trim();

    [GeneratedRegex(@"(?<![@\w])@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"'\{\n.*?\n\}'", RegexOptions.Singleline)]
    private static partial Regex PayloadLiteral();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"'(\w+)', (?:entry|moved|@)")]
    private static partial Regex JsonKey();
}
