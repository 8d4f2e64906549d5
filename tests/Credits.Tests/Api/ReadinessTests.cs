using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Api;

public sealed class SqliteReadinessTests(SqliteFixture db) : ReadinessTests<SqliteFixture>(db);

public sealed class PostgresReadinessTests(PostgresFixture db) : ReadinessTests<PostgresFixture>(db);

/// <summary>
/// /readyz tells anonymous callers only whether the server is ready; why it is not (database
/// exception text, host and database names) goes to the log, and to callers with the API key.
/// </summary>
[Collection(RealServerCollection.Name)]
public abstract class ReadinessTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Ready_answers_its_status_and_nothing_else()
    {
        await using var server = await CreditsServer.StartAsync(db);
        server.Client.DefaultRequestHeaders.Authorization = null;

        using var response = await server.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ready"}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Not_ready_shows_anonymous_callers_only_the_status_and_logs_the_reason()
    {
        Assert.SkipWhen(string.IsNullOrEmpty(db.DatabaseUrl) && db.SkipReason is null,
            "SQLite in WAL mode stays readable while another process holds its write lock; the outage is shown on PostgreSQL.");
        await using var server = await ServerProcess.StartAsync(db);
        var cancellationToken = TestContext.Current.CancellationToken;
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        await using (await db.BreakAsync())
        {
            using var response = await anonymous.GetAsync("/readyz", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("""{"status":"not ready"}""", body);

            using var wrongKey = new HttpRequestMessage(HttpMethod.Get, "/readyz");
            wrongKey.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-key-0123456789abcdef");
            using (var wrong = await anonymous.SendAsync(wrongKey, cancellationToken))
            {
                Assert.Equal("""{"status":"not ready"}""", await wrong.Content.ReadAsStringAsync(cancellationToken));
            }

            // The operator, with the API key, sees why.
            using var operatorView = await server.Client.GetAsync("/readyz", cancellationToken);
            var detail = JsonDocument.Parse(await operatorView.Content.ReadAsStringAsync(cancellationToken)).RootElement;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, operatorView.StatusCode);
            Assert.StartsWith("database unreachable: ", detail.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        Assert.Contains("Not ready: database unreachable: ", server.Output, StringComparison.Ordinal);
    }
}
