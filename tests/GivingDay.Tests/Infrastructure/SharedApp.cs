namespace GivingDay.Tests.Infrastructure;

/// <summary>One app for a whole test class (an xUnit class fixture): started before the class's first test and
/// stopped after its last, instead of once per test. Tests stay independent by working on campaigns of their own
/// (<see cref="NewCampaignAsync"/>). Derive to choose the app's settings, and override <see cref="SetUpAsync"/> for what
/// the class's tests share.</summary>
public abstract class SharedApp(Dictionary<string, string?>? settings = null, bool listeners = true) : IAsyncLifetime
{
    public AppInstance App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await AppInstance.StartAsync(Azurite.UniquePrefix(), settings, listeners: listeners);
        await SetUpAsync(App);
    }

    protected virtual Task SetUpAsync(AppInstance app) => Task.CompletedTask;

    public async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>A campaign no other test uses, defined as <paramref name="definition"/> (the test definition by default).</summary>
    public async Task<string> NewCampaignAsync(object? definition = null, string hint = "c")
    {
        var id = TestCampaigns.NewId(hint);
        (await App.PutCampaignAsync(id, definition ?? TestCampaigns.Definition())).EnsureSuccessStatusCode();
        return id;
    }
}

/// <summary>HTTP only: no queue or timer triggers, for classes that drive counting themselves or need none.</summary>
public sealed class HttpOnlyApp() : SharedApp(listeners: false);

/// <summary>With the queue and timer triggers, as the app runs.</summary>
public sealed class ListeningApp() : SharedApp();
