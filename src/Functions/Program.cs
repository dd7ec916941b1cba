using GivingDay.Functions;
using GivingDay.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The isolated worker the Functions host starts in Azure. The standalone host (src/StandaloneHost) runs the same
// function classes everywhere else.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<HttpFailures>();
builder.Services.AddGivingDay(builder.Configuration, FunctionsHost.Azure);
builder.Services.Configure<WorkerOptions>(Composition.ConfigureWorker);
builder.Build().Run();
