using GivingDay.StandaloneHost;

// GivingDay outside Azure: `dotnet GivingDay.StandaloneHost.dll [--urls http://127.0.0.1:7071]`, with
// AzureWebJobsStorage set. Several instances may run side by side on one storage account.
var app = StandaloneApp.Build(args);
await app.RunAsync();
