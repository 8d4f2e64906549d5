using System.Net;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Stripe;

public sealed class SqliteOutageTests(SqliteFixture db) : OutageTests<SqliteFixture>(db);

public sealed class PostgresOutageTests(PostgresFixture db) : OutageTests<PostgresFixture>(db);

public abstract class OutageTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Fact]
    public async Task Unreachable_database_answers_5xx_so_Stripe_retries_and_the_retry_grants()
    {
        await using var server = await CreditsServer.StartAsync(db, s => s["CREDITS_DB_TIMEOUT_SECONDS"] = "1");
        var user = StripeEvents.NewId("u");
        var json = StripeEvents.Paid(user, 50);
        var eventId = StripeEvents.Parse(json).GetProperty("id").GetString();

        await using (await db.BreakAsync())
        {
            using var failed = await server.PostEventAsync(json);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(0, await server.ScalarAsync<long>("SELECT COUNT(*) FROM webhook_events WHERE id = @eventId", new { eventId }));
        Assert.Null(await server.BalanceAsync(user));

        var retried = await server.DeliverAsync(json);

        Assert.Equal("granted", retried.GetProperty("status").GetString());
        Assert.Equal(50, await server.BalanceAsync(user));
    }
}
