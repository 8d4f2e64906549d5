using System.Net;
using Credits.Tests.Infrastructure;

namespace Credits.Tests.Hostile;

public sealed class SqliteHostileApiTests(SqliteFixture db) : HostileApiTests<SqliteFixture>(db);

public sealed class PostgresHostileApiTests(PostgresFixture db) : HostileApiTests<PostgresFixture>(db);

/// <summary>The API's own inputs: control characters are refused with a 400 before they reach the database.</summary>
public abstract class HostileApiTests<TFixture>(TFixture db) : IClassFixture<TFixture> where TFixture : DatabaseFixture
{
    [Theory]
    [InlineData("a\u0000@example.com")]
    [InlineData("a@exa\u0001mple.com")]
    [InlineData("a@example.com\u007F")]
    public async Task An_email_with_a_control_character_is_400_and_stores_nothing(string email)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = StripeEvents.NewId("u_ctl");

        using var response = await server.PutUserAsync(user, email);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await server.BalanceAsync(user));
    }
}
