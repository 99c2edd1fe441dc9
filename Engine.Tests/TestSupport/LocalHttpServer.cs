using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeepGpu.Tests.TestSupport;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 and a free port, for download tests without the internet.
/// Each route can send a body whole, stop after some bytes and close (a cut download), or stop and hang.
/// Every response closes its connection, which keeps the server a few lines long.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    /// <summary>What a path answers: a status, a body and how much of it to send (null: all).</summary>
    public sealed record Route(byte[] Body, int Status = 200, int? SendBytes = null, bool HangAfterSending = false);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, Route> _routes = new();
    private readonly Dictionary<string, int> _hits = new();

    public LocalHttpServer()
    {
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _ = Task.Run(AcceptLoop);
    }

    public Uri BaseUri { get; }

    /// <summary>Serves <paramref name="route"/> at <paramref name="path"/> (e.g. "good/file.gz").</summary>
    public void Map(string path, Route route)
    {
        lock (_routes) _routes["/" + path.TrimStart('/')] = route;
    }

    /// <summary>How many requests reached <paramref name="path"/>.</summary>
    public int Hits(string path)
    {
        lock (_routes) return _hits.GetValueOrDefault("/" + path.TrimStart('/'));
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var path = await ReadRequestPath(stream);
            Route? route;
            lock (_routes)
            {
                _hits[path] = _hits.GetValueOrDefault(path) + 1;
                _routes.TryGetValue(path, out route);
            }
            route ??= new Route(Encoding.ASCII.GetBytes("not found"), 404);
            var reason = route.Status == 200 ? "OK" : route.Status == 404 ? "Not Found" : "Error";
            var head = $"HTTP/1.1 {route.Status} {reason}\r\nContent-Length: {route.Body.Length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
            await stream.WriteAsync(route.Body.AsMemory(0, route.SendBytes ?? route.Body.Length), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            if (route.HangAfterSending) await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
        }
    }

    private async Task<string> ReadRequestPath(NetworkStream stream)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
            if (n == 0) break;
            filled += n;
            if (Encoding.ASCII.GetString(buffer, 0, filled).Contains("\r\n\r\n")) break;
        }
        var requestLine = Encoding.ASCII.GetString(buffer, 0, filled).Split("\r\n")[0];
        var parts = requestLine.Split(' ');
        return parts.Length >= 2 ? parts[1] : "/";
    }

    public void Dispose()
    {
        // No waiting on the accept loop or open connections: both end on the cancellation, and a blocking
        // wait here would hold a thread the pool may need to finish them.
        _stop.Cancel();
        _listener.Stop();
    }
}
