namespace Credits.Stripe;

public enum SignatureFailure
{
    None,
    MissingHeader,
    Malformed,
    NoV1,
    Mismatch,
    Stale,
    Future,
}

public readonly record struct SignatureCheck(SignatureFailure Failure, string? Message)
{
    public static SignatureCheck Valid => new(SignatureFailure.None, null);

    public bool IsValid => Failure == SignatureFailure.None;

    public static SignatureCheck Fail(SignatureFailure failure, string message) => new(failure, message);
}
