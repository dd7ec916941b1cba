namespace GivingDay.Tests.Infrastructure;

/// <summary>One app for a whole test class (an xUnit class fixture), with its own storage prefix; <see cref="SetUpAsync"/>
/// adds what the class's tests share.</summary>
public abstract class AppFixture(bool listeners) : IAsyncLifetime
{
    public AppInstance App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: listeners);
        await SetUpAsync(App);
    }

    protected virtual Task SetUpAsync(AppInstance app) => Task.CompletedTask;

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>An app that counts pledges (queue and timer listeners on).</summary>
public sealed class CountingAppFixture() : AppFixture(listeners: true);
