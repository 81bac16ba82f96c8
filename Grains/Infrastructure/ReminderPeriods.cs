using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansGuarantee.Infrastructure;

public static class ReminderPeriods
{
    /// <summary>
    /// The shortest period the silo allows a reminder (Orleans' minimum, 1 minute unless configured):
    /// the period of the reminders that act on deadlines and check progress.
    /// </summary>
    public static TimeSpan Shortest(IServiceProvider services)
    {
        var minimum = services.GetService<IOptions<ReminderOptions>>()?.Value.MinimumReminderPeriod ?? TimeSpan.Zero;
        return minimum > TimeSpan.Zero ? minimum : TimeSpan.FromMinutes(1);
    }
}
