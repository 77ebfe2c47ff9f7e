using System.Text.Json;
using Acr.Plugins;

namespace Acr.Host.Tests;

/// <summary>
/// The dotnet-new templates (templates/Acr.Templates) agree with this build: they default to the Acr.Abstractions
/// package this host carries, and declare the contract with the package's constants, so a generated plugin loads.
/// Building and testing generated projects is scripts/test-templates.sh (minutes, so not a unit test).
/// </summary>
public class TemplateTests
{
    private static string Templates
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Acr.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("no Acr.sln above the test assembly"), "templates", "Acr.Templates", "content");
        }
    }

    [Theory]
    [InlineData("acr-detector", "MyDetector", "detector-name")]
    [InlineData("acr-backend", "MyBackend", "backend-name")]
    public void Each_template_defaults_to_the_contract_package_this_host_carries_and_the_name_mine(string template, string sourceName, string nameSymbol)
    {
        var folder = Path.Combine(Templates, template);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ".template.config", "template.json")));
        var root = json.RootElement;
        Assert.Equal(template, root.GetProperty("shortName").GetString());
        Assert.Equal(sourceName, root.GetProperty("sourceName").GetString());
        var symbols = root.GetProperty("symbols");
        Assert.Equal(PluginCatalog.ContractPackageVersion, symbols.GetProperty("acr-version").GetProperty("defaultValue").GetString());
        Assert.Equal("mine", symbols.GetProperty(nameSymbol).GetProperty("defaultValue").GetString());

        // Every token a symbol replaces occurs in the content, and the plugin declares the package's own contract version.
        var content = string.Join('\n', Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(".template.config", StringComparison.Ordinal)).Select(File.ReadAllText));
        foreach (var symbol in symbols.EnumerateObject().Where(s => s.Value.TryGetProperty("replaces", out _)))
        {
            Assert.Contains(symbol.Value.GetProperty("replaces").GetString()!, content);
        }

        Assert.Contains($"[assembly: AcrPluginApi({nameof(PluginApi)}.{nameof(PluginApi.Major)}, {nameof(PluginApi)}.{nameof(PluginApi.Minor)})]", content);
    }
}
