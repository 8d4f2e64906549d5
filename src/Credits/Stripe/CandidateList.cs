using System.Text.Json;

namespace Credits.Stripe;

/// <summary>checkout_payments.candidates: the <see cref="Candidate"/>s of a parked payment as a JSON array of {user_id, why}.</summary>
public static class CandidateList
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string? Write(IReadOnlyList<Candidate> candidates) =>
        candidates.Count == 0 ? null : JsonSerializer.Serialize(candidates.DistinctBy(c => c.UserId), Json);

    public static IReadOnlyList<Candidate> Read(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<Candidate>>(json, Json) ?? [];
}
