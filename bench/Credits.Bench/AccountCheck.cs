using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Credits.Bench;

/// <summary>
/// Reads balances through the API (GET /api/users/{id}) before and after a run, and compares each
/// account's movement with what the 2xx answers promised: a silent drop or a double grant shows.
/// </summary>
public sealed class AccountCheck(HttpClient client, int parallelism)
{
    public async Task<Dictionary<string, long>> BalancesAsync(IEnumerable<string> users, CancellationToken cancellationToken)
    {
        var balances = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (user, ct) =>
            {
                using var response = await client.GetAsync($"/api/users/{user}", ct);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    balances[user] = 0;
                    return;
                }
                response.EnsureSuccessStatusCode();
                var account = await response.Content.ReadFromJsonAsync<AccountBody>(ct)
                    ?? throw new InvalidOperationException($"GET /api/users/{user} returned no body.");
                balances[user] = account.Balance;
            });
        return new Dictionary<string, long>(balances);
    }

    public static Verification Compare(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after, IReadOnlyDictionary<string, long> expected)
    {
        var wrong = new List<string>();
        long moved = 0, promised = 0;
        foreach (var user in after.Keys.Order(StringComparer.Ordinal))
        {
            var delta = after[user] - before.GetValueOrDefault(user);
            var want = expected.GetValueOrDefault(user);
            moved += delta;
            promised += want;
            if (delta != want)
            {
                wrong.Add($"{user}: moved {delta}, 2xx answers promised {want}");
            }
        }
        return new Verification(after.Count, moved, promised, wrong);
    }

    private sealed record AccountBody([property: JsonPropertyName("balance")] long Balance);
}
