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

    /// <summary>JSON that is well formed but whose text is not valid Unicode: a 400, never a 500, on every body the API reads.</summary>
    [Theory]
    [InlineData("PUT", "/api/users/{user}", """{"email":"a\ud800@example.com"}""")]
    [InlineData("POST", "/api/users/{user}/spend", """{"credits":1,"reason":"r\udc00"}""")]
    [InlineData("POST", "/api/users/{user}/grants", """{"credits":1,"reason":"\ud83d"}""")]
    [InlineData("POST", "/api/users/{user}/holds", """{"credits":1,"\ud800":1}""")]
    [InlineData("POST", "/api/checkout/sessions", """{"user_id":"{user}","pack_id":"p\ud800","success_url":"https://e.com","cancel_url":"https://e.com"}""")]
    [InlineData("POST", "/api/payments/cs_x/assign", """{"user_id":"u\udfff"}""")]
    public async Task An_API_body_with_a_lone_surrogate_is_400_and_changes_nothing(string method, string path, string json)
    {
        await using var server = await CreditsServer.StartAsync(db);
        var user = await server.UserWithAsync(10);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{user}", user, StringComparison.Ordinal))
        {
            Content = new StringContent(json.Replace("{user}", user, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", StripeEvents.NewId("k"));

        using var response = await server.Client.SendAsync(request, TestContext.Current.CancellationToken);

        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(10, await server.BalanceAsync(user));
        Assert.Null((await server.UserAsync(user)).GetProperty("email").GetString());
        await server.AssertConsistentAsync(user);
    }
}
