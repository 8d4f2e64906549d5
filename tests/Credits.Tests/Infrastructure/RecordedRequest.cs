namespace Credits.Tests.Infrastructure;

/// <summary>One request <see cref="FakeStripe"/> received: form fields for POSTs, query values for GETs.</summary>
public sealed record RecordedRequest(
    string Method, string Path, IReadOnlyDictionary<string, string[]> Query, IReadOnlyDictionary<string, string> Form, string Authorization);
