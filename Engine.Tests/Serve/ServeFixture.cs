using System.Net;
using DeepGpu.Cli.Serve;
using DeepGpu.Models;
using DeepGpu.Tests.Recognition;

namespace DeepGpu.Tests.Serve;

/// <summary>One <c>deepgpu serve</c> server on a free loopback port, with a trained model, shared by the serve tests.</summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private TrainedDigitModel? _trained;
    private Model? _model;
    private DigitServer? _server;

    /// <summary>The model file the server answers with.</summary>
    public string ModelPath => _trained!.Path;

    /// <summary>A folder for the tests' files, deleted afterwards.</summary>
    public string Directory => _trained!.Directory;

    internal DigitServer Server => _server!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _trained = new TrainedDigitModel();
        _model = Model.Load(ModelPath);
        _server = await DigitServer.StartAsync(_model, Path.GetFileName(ModelPath), IPAddress.Loopback, 0);
        Http = new HttpClient { BaseAddress = _server.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _model?.Dispose();
        _trained?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}
