using System.Diagnostics;
using DeepGpu.Tests.TestSupport;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;

namespace DeepGpu.Tests.Serve;

/// <summary>The drawing page in headless Chromium: digits drawn with the mouse are read and the answer shown.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeBrowserTests(ServeFixture serve) : IDisposable
{
    private readonly TempDir _profile = new();

    public void Dispose() => _profile.Dispose();

    private ChromeDriver StartBrowser()
    {
        var options = new ChromeOptions { BinaryLocation = Browser.Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            $"--user-data-dir={_profile.Path}", "--window-size=1000,900");
        // The driver is named explicitly, so Selenium never looks for one to download.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Browser.ChromeDriver)!, Path.GetFileName(Browser.ChromeDriver)!);
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>One stroke with the mouse through points given as fractions of the canvas (0..1 from its top left).</summary>
    private static void Stroke(IWebDriver driver, IWebElement canvas, IEnumerable<(double X, double Y)> points)
    {
        var size = canvas.Size;
        // Offsets are from the element's centre; short moves, so the page sees a drawing, not a jump.
        (int, int) At((double X, double Y) p) => ((int)Math.Round((p.X - 0.5) * size.Width), (int)Math.Round((p.Y - 0.5) * size.Height));
        var actions = new Actions(driver, TimeSpan.FromMilliseconds(10));
        var first = true;
        foreach (var p in points)
        {
            var (x, y) = At(p);
            actions.MoveToElement(canvas, x, y);
            if (first) actions.ClickAndHold();
            first = false;
        }
        actions.Release().Perform();
    }

    private static IEnumerable<(double, double)> Line(double x0, double y0, double x1, double y1, int steps = 12) =>
        Enumerable.Range(0, steps + 1).Select(i => (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps));

    private static IEnumerable<(double, double)> Ring(double cx, double cy, double rx, double ry, int steps = 40) =>
        Enumerable.Range(0, steps + 1).Select(i => (cx + rx * Math.Sin(2 * Math.PI * i / steps), cy - ry * Math.Cos(2 * Math.PI * i / steps)));

    /// <summary>Waits until the page shows the answer for what is on the canvas now, and returns the digit shown.</summary>
    private static string ShownAnswer(IWebDriver driver, string state = "done")
    {
        var answer = driver.FindElement(By.Id("answer"));
        var clock = Stopwatch.StartNew();
        while (answer.GetDomAttribute("data-state") != state)
        {
            if (answer.GetDomAttribute("data-state") == "error")
                Assert.Fail($"The page shows an error: {driver.FindElement(By.Id("status")).Text}");
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
                Assert.Fail($"The page did not reach '{state}' in 30 s; it is '{answer.GetDomAttribute("data-state")}'.");
            Thread.Sleep(50);
        }
        return driver.FindElement(By.Id("answer-label")).Text;
    }

    private static long SeenInk(IWebDriver driver) => (long)((IJavaScriptExecutor)driver).ExecuteScript(
        "return Array.from(document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0).reduce((a, b) => a + b, 0);")!;

    [BrowserFact]
    public void A_one_and_a_zero_drawn_with_the_mouse_are_read_and_shown()
    {
        using var driver = StartBrowser();
        driver.Navigate().GoToUrl(serve.Server.Address);
        var canvas = driver.FindElement(By.Id("canvas"));
        Assert.Equal("?", ShownAnswer(driver, "empty"));

        Stroke(driver, canvas, Line(0.5, 0.18, 0.5, 0.82));
        Assert.Equal("1", ShownAnswer(driver));
        Assert.Equal(3, driver.FindElements(By.CssSelector("#top li")).Count);
        var ink = SeenInk(driver);
        Assert.True(ink > 255 * 20, $"the 28x28 image the network saw is shown (ink {ink})");

        driver.FindElement(By.Id("clear")).Click();
        Assert.Equal("?", ShownAnswer(driver, "empty"));
        Assert.Equal(0, SeenInk(driver));

        Stroke(driver, canvas, Ring(0.5, 0.5, 0.2, 0.3));
        Assert.Equal("0", ShownAnswer(driver));
        var top = driver.FindElement(By.CssSelector("#top li")).Text;
        Assert.Matches(@"^0\s+\d+\.\d%$", top);

        var screenshot = Environment.GetEnvironmentVariable("DEEPGPU_SERVE_SCREENSHOT");
        if (!string.IsNullOrEmpty(screenshot)) driver.GetScreenshot().SaveAsFile(screenshot);

        driver.FindElement(By.Id("undo")).Click();
        Assert.Equal("?", ShownAnswer(driver, "empty"));
    }
}
