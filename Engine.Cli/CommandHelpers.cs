using System.Text.Json;
using DeepGpu.Backends;

namespace DeepGpu.Cli;

/// <summary>Creates the backend a command's --backend names; for auto, says which it picked and why.</summary>
internal static class BackendChoice
{
    public static Backend Create(string name, TextWriter info)
    {
        if (name != "auto") return BackendFactory.Create(name);
        var (picked, why) = BackendFactory.ChooseAuto();
        info.WriteLine($"backend: {picked}, because {why}");
        return BackendFactory.Create(picked);
    }
}

/// <summary>The JSON spelling of every --json output: camelCase names.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}

internal static class Words
{
    /// <summary>"1 epoch", "3 epochs".</summary>
    public static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
