namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// A fact that drives headless Chromium through chromedriver: it shows as skipped, with the reason, where
/// either is not installed (Debian: <c>apt-get install chromium chromium-driver</c>; <c>.ci/run</c> installs both).
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.Chromium is null || Browser.ChromeDriver is null) Skip = Browser.MissingReason;
    }
}

/// <summary>Where Chromium and chromedriver are installed, found on PATH.</summary>
public static class Browser
{
    public static string? Chromium { get; } = Find("chromium", "chromium-browser");

    public static string? ChromeDriver { get; } = Find("chromedriver");

    public static string MissingReason =>
        $"needs Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver); {(Chromium is null ? "chromium" : "chromedriver")} was not found";

    private static string? Find(params string[] names) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => names.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
}
