using Credits.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Credits.Tests.Deploy;

/// <summary>render.yaml, read as Render reads it: the web service from the Dockerfile, its database and its settings.</summary>
public sealed class RenderBlueprintTests
{
    [Fact]
    public void Web_service_is_built_from_the_Dockerfile_checks_readyz_and_migrates_before_each_deploy()
    {
        var service = WebService();

        Assert.Equal("docker", Scalar(service, "runtime"));
        Assert.True(File.Exists(RepositoryRoot.File(Scalar(service, "dockerfilePath"))), "dockerfilePath names the repository's Dockerfile");
        Assert.Equal("/readyz", Scalar(service, "healthCheckPath"));
        Assert.Equal("credits migrate", Scalar(service, "preDeployCommand"));
    }

    [Fact]
    public void DATABASE_URL_comes_from_the_managed_database_and_secrets_are_never_in_the_file()
    {
        var env = EnvVars();
        var database = (YamlMappingNode)((YamlSequenceNode)Blueprint()["databases"]).Single();

        var from = (YamlMappingNode)env["DATABASE_URL"]["fromDatabase"];
        Assert.Equal(Scalar(database, "name"), Scalar(from, "name"));
        Assert.Equal("connectionString", Scalar(from, "property"));
        foreach (var secret in new[] { "STRIPE_WEBHOOK_SECRET", "STRIPE_SECRET_KEY" })
        {
            Assert.Equal("false", Scalar(env[secret], "sync"));
            Assert.False(env[secret].Children.ContainsKey("value"), $"{secret} must be entered in Render's dashboard, not committed");
        }
        Assert.Equal("true", Scalar(env["CREDITS_API_KEY"], "generateValue"));
    }

    [Fact]
    public void Every_variable_it_sets_is_one_the_README_documents()
    {
        var readme = RepositoryRoot.Read("README.md");
        Assert.All(EnvVars().Keys, key => Assert.Contains($"| `{key}` |", readme));
    }

    public static YamlMappingNode Blueprint()
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryRoot.Read("render.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public static YamlMappingNode WebService() =>
        ((YamlSequenceNode)Blueprint()["services"]).Cast<YamlMappingNode>().Single(s => Scalar(s, "type") == "web");

    private static Dictionary<string, YamlMappingNode> EnvVars() =>
        ((YamlSequenceNode)WebService()["envVars"]).Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "key"), StringComparer.Ordinal);

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? "" : throw new Xunit.Sdk.XunitException($"render.yaml: no '{key}' in {node}");
}
