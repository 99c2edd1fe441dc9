using Microsoft.AspNetCore.Http;

namespace DeepGpu.Cli.Serve;

/// <summary>The drawing page's files, embedded in the executable so the page works offline and from any folder.</summary>
internal static class PageFiles
{
    /// <summary>One file: the route it is served at, its content type and its bytes.</summary>
    public sealed record File(string Route, string ContentType, byte[] Bytes);

    public static IReadOnlyList<File> All { get; } =
    [
        Load("/", "index.html", "text/html; charset=utf-8"),
        Load("/page.css", "page.css", "text/css; charset=utf-8"),
        Load("/page.js", "page.js", "text/javascript; charset=utf-8"),
    ];

    public static Task Send(HttpContext context, File file)
    {
        var headers = context.Response.Headers;
        headers.ContentType = file.ContentType;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        // Everything comes from this server: a page that tried to load anything from elsewhere would be refused.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
        return context.Response.Body.WriteAsync(file.Bytes).AsTask();
    }

    private static File Load(string route, string name, string contentType)
    {
        using var stream = typeof(PageFiles).Assembly.GetManifestResourceStream($"DeepGpu.Cli.Serve.Page.{name}")
            ?? throw new InvalidOperationException($"The page file {name} is not embedded in this build.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return new File(route, contentType, bytes);
    }
}
