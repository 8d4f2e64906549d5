using Credits.Configuration;
using Microsoft.Extensions.Options;

namespace Credits.Api;

public static class PacksApi
{
    public static RouteGroupBuilder MapPacksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/packs", (IOptions<PackOptions> packs) => TypedResults.Ok(new PacksResponse(packs.Value.Packs))).WithTags("Packs");
        return api;
    }

    public sealed record PacksResponse(IReadOnlyList<Pack> Packs);
}
