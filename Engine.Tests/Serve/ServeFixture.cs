using System.Net;
using DeepGpu.Cli.Serve;
using DeepGpu.Models;
using DeepGpu.Tests.TestSupport;

namespace DeepGpu.Tests.Serve;

/// <summary>One <c>deepgpu serve</c> server with the default model on a free loopback port, shared by the serve tests.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private readonly TempDir _directory = new();
    private Model? _model;
    private DigitServer? _server;

    /// <summary>A folder for the tests' files, deleted afterwards.</summary>
    public string Directory => _directory.Path;

    internal DigitServer Server => _server!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _model = Model.LoadDefault();
        _server = await DigitServer.StartAsync(_model, Model.DefaultModelName, IPAddress.Loopback, 0);
        Http = new HttpClient { BaseAddress = _server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _model?.Dispose();
        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}
