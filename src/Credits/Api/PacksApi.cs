using Credits.Configuration;
using Microsoft.Extensions.Options;

namespace Credits.Api;

public static class PacksApi
{
    public static RouteGroupBuilder MapPacksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/packs", (IOptions<PackOptions> packs) => TypedResults.Ok(new { packs = packs.Value.Packs })).WithTags("Packs");
        return api;
    }
}
