namespace Credits.Api;

/// <summary>
/// Describes a body that the handler reads itself (<see cref="JsonBody"/>, for clear 400s), so the
/// OpenAPI document shows it. Unlike Accepts(), it does not make routing answer 415.
/// </summary>
public sealed record JsonBodyMetadata(Type Type, bool Required);
