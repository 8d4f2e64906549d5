namespace Credits.Stripe;

/// <summary>
/// Caps the memory unauthenticated webhook bodies can take: nobody is known until the signature
/// over the whole body checks out, so the body must be buffered first. Bodies up to
/// <see cref="SmallBodyBytes"/> (every real Stripe event) are read without waiting: with the
/// connection cap that is at most 64 MiB. A larger one needs one of <see cref="LargeReads"/>
/// slots, so at most 16 MiB more; when all are taken it waits up to <see cref="Wait"/>, then is
/// answered 503 (Stripe retries). Slow senders hold only what they sent, and the minimum body
/// rate cuts them off.
/// </summary>
public sealed class WebhookBodyGate
{
    public const int SmallBodyBytes = 64 * 1024;
    public const int LargeReads = 16;
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _slots = new(LargeReads, LargeReads);

    public Task<bool> EnterAsync(CancellationToken cancellationToken) => _slots.WaitAsync(Wait, cancellationToken);

    public void Exit() => _slots.Release();
}
