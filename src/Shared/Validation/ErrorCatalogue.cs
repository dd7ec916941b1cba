using System.Globalization;
using GivingDay.Amounts;

namespace GivingDay.Validation;

/// <summary>The language of an answer: Chinese first (the product's people read Chinese), English when asked for.</summary>
public enum Language { Zh, En }

/// <summary>Every error text the API answers with, Chinese and English side by side, keyed by stable codes that
/// clients may rely on (docs/api.md lists them). A field code is <c>{what}.{reason}</c>; when no text is written for
/// the whole code, the reason's text is used with the label of <c>{what}</c>. Money arguments are shown in yuan
/// (¥1,234.56), never in fen.</summary>
public static class ErrorCatalogue
{
    private readonly record struct Text(string Zh, string En)
    {
        public string In(Language language) => language == Language.En ? En : Zh;
    }

    /// <summary>What a field is called in a sentence.</summary>
    private static readonly Dictionary<string, Text> Labels = new(StringComparer.Ordinal)
    {
        ["amount"] = new("金额", "Amount"),
        ["anonymous"] = new("匿名选项", "Anonymous"),
        ["body"] = new("请求体", "The body"),
        ["campaignId"] = new("活动编号", "Campaign id"),
        ["contact"] = new("联系方式", "Contact"),
        ["displayName"] = new("显示名", "Display name"),
        ["dryRun"] = new("dryRun", "dryRun"),
        ["end"] = new("end", "end"),
        ["first"] = new("first", "first"),
        ["second"] = new("second", "second"),
        ["start"] = new("start", "start"),
        ["treeSize"] = new("treeSize", "treeSize"),
        ["donor"] = new("捐赠人信息", "Donor"),
        ["endsAt"] = new("结束时间", "End time"),
        ["event"] = new("公益日类型", "Event"),
        ["goal"] = new("目标金额", "Goal"),
        ["id"] = new("编号", "Id"),
        ["matchingFunds"] = new("配捐基金列表", "Matching funds"),
        ["maxPledge"] = new("单笔上限", "Maximum pledge"),
        ["message"] = new("留言", "Message"),
        ["minPledge"] = new("单笔下限", "Minimum pledge"),
        ["name"] = new("名称", "Name"),
        ["perDonorCap"] = new("每位捐赠人配捐上限", "Per-donor cap"),
        ["perPledgeCap"] = new("单笔配捐上限", "Per-pledge cap"),
        ["pictureUrl"] = new("图片地址", "Picture URL"),
        ["pool"] = new("配捐资金池", "Pool"),
        ["projectId"] = new("项目", "Project"),
        ["projectIds"] = new("适用项目", "Project ids"),
        ["projects"] = new("项目列表", "Projects"),
        ["ratio"] = new("配捐比例", "Ratio"),
        ["receivedAt"] = new("收款时间", "Received at"),
        ["sponsor"] = new("配捐方", "Sponsor"),
        ["startsAt"] = new("开始时间", "Start time"),
        ["story"] = new("项目故事", "Story"),
    };

    /// <summary>A reason's text for any field, {label} being the field's label.</summary>
    private static readonly Dictionary<string, Text> Reasons = new(StringComparer.Ordinal)
    {
        ["required"] = new("{label}为必填项", "{label} is required"),
        ["not_string"] = new("{label}须为文本", "{label} must be text"),
        ["too_long"] = new("{label}最多 {0} 个字", "{label} must be at most {0} characters"),
        ["control_chars"] = new("{label}不能包含控制字符", "{label} must not contain control characters"),
        ["invalid"] = new("{label}格式不正确", "{label} is not valid"),
        ["not_integer"] = new("{label}须为以分计的整数（5000 即 ¥50.00）", "{label} must be a whole number of fen (5000 is ¥50.00)"),
        ["too_large"] = new("{label}过大", "{label} is too large"),
        ["negative"] = new("{label}不能为负数", "{label} must not be negative"),
        ["not_positive"] = new("{label}填写时须大于零", "{label} must be above zero when given"),
        ["not_object"] = new("{label}须为对象", "{label} must be an object"),
        ["not_list"] = new("{label}须为列表", "{label} must be a list"),
        ["duplicate"] = new("{label}“{0}”重复出现", "{label} '{0}' is listed twice"),
        ["not_time"] = new("{label}须为带时区的 ISO 8601 时间，例如 2026-05-08T00:00:00+08:00", "{label} must be an ISO 8601 time with an offset, e.g. 2026-05-08T00:00:00+08:00"),
        ["not_count"] = new("{label}须为 0 或以上的整数", "{label} must be a whole number, 0 or more"),
        ["outside_campaign"] = new("{label}须在活动期间内", "{label} must be within the campaign"),
    };

    /// <summary>Texts written for one code (they win over the reason's text).</summary>
    private static readonly Dictionary<string, Text> Fields = new(StringComparer.Ordinal)
    {
        ["amount.required"] = new("金额为必填项：以分计的整数", "Amount is required: a whole number of fen"),
        ["amount.out_of_range"] = new("金额须在 {0} 至 {1} 之间", "Amount must be between {0} and {1}"),
        ["amount.too_large"] = new("金额过大：须在 {0} 至 {1} 之间", "Amount is too large: it must be between {0} and {1}"),
        ["anonymous.not_boolean"] = new("匿名选项须为 true 或 false", "Anonymous must be true or false"),
        ["body.not_json"] = new("请求体须为 JSON", "The body must be JSON"),
        ["body.not_object"] = new("请求体须为 JSON 对象", "The body must be a JSON object"),
        ["body.not_array"] = new("请求体须为 JSON 数组 [{ projectId, amount, name, message, receivedAt }]", "The body must be a JSON array of { projectId, amount, name, message, receivedAt }"),
        ["body.empty"] = new("文件为空：第 1 行须为表头 projectId,amount,name,message,receivedAt", "The file is empty: row 1 must be the header projectId,amount,name,message,receivedAt"),
        ["body.no_rows"] = new("文件没有数据行", "The file has no rows"),
        ["body.too_many_rows"] = new("文件最多 {0} 行数据", "The file has more than {0} rows"),
        ["body.malformed_csv"] = new("CSV 格式有误（第 {0} 行附近）", "The CSV is malformed (near row {0})"),
        ["campaignId.invalid"] = new("活动编号须为 1–63 个 a-z、0-9 或“-”，以字母或数字开头", "Campaign id must be 1–63 of a-z, 0-9 and '-', starting with a letter or digit"),
        ["contact.invalid"] = new("联系方式须为中国大陆手机号（13–19 开头的 11 位数字）或电子邮箱", "Contact must be a mainland mobile number (11 digits starting 13–19) or an e-mail address"),
        ["contentType.unsupported"] = new("Content-Type 须为 {0}", "Content-Type must be {0}"),
        ["dryRun.invalid"] = new("dryRun 须为 true 或 false", "dryRun must be true or false"),
        ["endsAt.before_start"] = new("结束时间须晚于开始时间", "End time must be after the start time"),
        ["event.unknown"] = new("公益日类型须为 5.8、99 或 custom", "Event must be one of 5.8, 99, custom"),
        ["format.invalid"] = new("format 须为 json 或 csv", "format must be json or csv"),
        ["format.csv_final_only"] = new("CSV 只提供结项账本：请用 snapshots/final?format=csv", "CSV is the final ledger only: use snapshots/final?format=csv"),
        ["fund.not_object"] = new("每个配捐基金须为对象", "Each matching fund must be an object"),
        ["header.missing_column"] = new("表头缺少列 {0}", "The header is missing the column {0}"),
        ["header.unknown_column"] = new("表头有未知列“{0}”", "The header has an unknown column '{0}'"),
        ["id.invalid"] = new("编号只能由 a-z、0-9 和“-”组成", "Id must be of a-z, 0-9 and '-'"),
        ["idempotencyKey.invalid"] = new("Idempotency-Key 须为 1–64 个 A-Z、a-z、0-9、“_”或“-”", "Idempotency-Key must be 1–64 characters of A-Z, a-z, 0-9, '_' and '-'"),
        ["leaderboardBy.invalid"] = new("by 须为 total 或 donors", "by must be 'total' or 'donors'"),
        ["matchingFunds.too_many"] = new("配捐基金最多 {0} 个", "At most {0} matching funds"),
        ["matchingFunds.fund_in_use"] = new("配捐基金“{0}”已配捐 {1}，不能删除", "Fund '{0}' has matched {1} and cannot be removed"),
        ["maxPledge.below_min"] = new("单笔上限不能低于单笔下限", "Maximum pledge must be at least the minimum pledge"),
        ["minPledge.too_small"] = new("单笔下限至少为 ¥0.01", "Minimum pledge must be at least ¥0.01"),
        ["organiserName.required"] = new("请在 X-Organiser-Name 中填写下载人姓名（将记入下载日志）", "X-Organiser-Name must say who downloads (it is written to the download log)"),
        ["pool.below_matched"] = new("配捐资金池不能低于已配捐的 {0}", "Pool cannot be below the {0} already matched from it"),
        ["shards.out_of_range"] = new("计数分片数须为 1 到 {0} 的整数", "Shards must be a whole number from 1 to {0}"),
        ["shards.fixed"] = new("计数分片数只能在活动开始前、尚无捐赠时修改（现为 {0}）", "Shards can be changed only before the campaign starts and while it has no gifts (it is {0})"),
        ["pool.below_reserved"] = new("配捐资金池不能低于各分片已预留的 {0}（其中已配捐 {1}），请稍后再试", "Pool cannot be below the {0} the shards hold ({1} of it matched); try again shortly"),
        ["project.not_object"] = new("每个项目须为对象", "Each project must be an object"),
        ["projectId.required"] = new("请选择项目", "Project is required: the id of one of the campaign's projects"),
        ["projectId.unknown"] = new("“{0}”不是本活动的项目", "'{0}' is not a project of this campaign"),
        ["projectIds.unknown"] = new("“{0}”不是本活动的项目", "'{0}' is not a project of this campaign"),
        ["projects.required"] = new("项目列表为必填项：[{ id, name, goal }]", "Projects are required: a list of { id, name, goal }"),
        ["projects.empty"] = new("至少要有一个项目", "At least one project is required"),
        ["projects.too_many"] = new("项目最多 {0} 个", "At most {0} projects"),
        ["projects.project_in_use"] = new("项目“{0}”已计入 {1} 笔捐赠（{2}），不能删除或更改编号", "Project '{0}' has {1} counted gifts ({2}) and cannot be removed or renamed by id"),
        ["ratio.required"] = new("配捐比例为必填项：大于 0 且不超过 100 的数", "Ratio is required: a number above 0 and at most 100"),
        ["ratio.invalid"] = new("配捐比例须大于 0、不超过 100，最多四位小数", "Ratio must be above 0 and at most 100, with at most four decimals"),
        ["pictureUrl.invalid"] = new("图片地址须为不超过 500 个字符的 https 地址", "Picture URL must be an https URL of at most 500 characters"),
        ["pledgeId.required"] = new("pledgeId 为必填项", "pledgeId is required"),
        ["story.control_chars"] = new("项目故事除换行外不能包含控制字符", "Story must not contain control characters other than line breaks"),
    };

    /// <summary>Whole-request problems: a title and a detail.</summary>
    private static readonly Dictionary<string, (Text Title, Text Detail)> Requests = new(StringComparer.Ordinal)
    {
        ["request.invalid"] = (new("请求无效", "Invalid request"), new("有字段填写不正确", "One or more fields are invalid.")),
        ["definition.invalid"] = (new("请求无效", "Invalid request"), new("活动定义有误", "The campaign definition is invalid.")),
        ["definition.conflicts"] = (new("请求无效", "Invalid request"), new("活动定义与已计入的捐赠或配捐冲突", "The campaign definition conflicts with what has been counted or matched.")),
        ["offlineFile.invalid"] = (new("请求无效", "Invalid request"), new("文件未导入：请修正所列的行后重新上传", "The file was not imported: fix the rows named and send it again.")),
        ["campaign.not_found"] = (new("未找到", "Not found"), new("没有编号为“{0}”的活动", "No campaign '{0}'.")),
        ["pledge.not_found"] = (new("未找到", "Not found"), new("活动“{1}”中没有捐赠“{0}”", "No pledge '{0}' in '{1}'.")),
        ["snapshot.not_found"] = (new("未找到", "Not found"), new("没有快照“{0}”", "No snapshot '{0}'.")),
        ["snapshot.final_not_ready"] = (new("未找到", "Not found"), new("结项快照在活动结束并完成计数后生成", "The final snapshot is written once the campaign is closed and counted.")),
        ["ledger.not_found"] = (new("未找到", "Not found"), new("公共账本中尚无此项（{0}）", "Not in the public ledger yet ({0}).")),
        ["ledger.out_of_range"] = (new("超出范围", "Out of range"), new("超出已发布的公共账本范围（{0}）", "Outside the published public ledger ({0}).")),
        ["projectId.unknown"] = (new("未知项目", "Unknown project"), new("“{0}”不是本活动的项目", "'{0}' is not a project of this campaign")),
        ["campaign.not_started"] = (new("活动未开放", "Campaign not open"), new("活动尚未开始", "The campaign has not started yet.")),
        ["campaign.closed"] = (new("活动已结束", "Campaign closed"), new("活动已结束，不再接受捐赠", "The campaign is closed and takes no more pledges.")),
        ["campaign.closed_for_edits"] = (new("活动已结束", "Campaign closed"), new("已结束的活动不能修改", "A closed campaign cannot be changed.")),
        ["campaign.closed_for_gifts"] = (new("活动已结束", "Campaign closed"), new("已结束的活动不再导入线下捐赠", "A closed campaign takes no more gifts.")),
        ["campaign.changed_concurrently"] = (new("同时修改冲突", "Changed concurrently"), new("其他人刚刚同时修改了此活动，请重新读取后再试", "Someone else changed this campaign at the same moment; read it again and retry.")),
        ["idempotency.key_reused"] = (new("Idempotency-Key 已被使用", "Idempotency-Key reused"), new("此 Idempotency-Key 之前已用于内容不同的请求", "This Idempotency-Key was used before with a different body.")),
        ["idempotency.in_flight"] = (new("请求处理中", "Request in progress"), new("使用此 Idempotency-Key 的请求正在处理，请稍后重试", "A request with this Idempotency-Key is being processed; retry shortly.")),
        ["idempotencyKey.invalid"] = (new("Idempotency-Key 无效", "Invalid Idempotency-Key"), new("Idempotency-Key 须为 1–64 个 A-Z、a-z、0-9、“_”或“-”", "Idempotency-Key must be 1–64 characters of A-Z, a-z, 0-9, '_' and '-'")),
        ["body.too_large"] = (new("请求体过大", "Body too large"), new("请求体最多 {0} 字节", "The body is at most {0} bytes.")),
        ["rate.limited"] = (new("请求过于频繁", "Too many requests"), new("此客户端一秒内提交超过 {0} 笔捐赠，请 {1} 秒后重试", "This client sent more than {0} pledges in a second; retry after {1} s.")),
        ["contentType.unsupported"] = (new("不支持的媒体类型", "Unsupported media type"), new("Content-Type 须为 {0}", "Content-Type must be {0}")),
        ["organiser.key_required"] = (new("未授权", "Unauthorized"), new("需要组织方密钥：Authorization: Bearer <密钥>", "An organiser key is required: Authorization: Bearer <key>.")),
        ["internal.unexpected"] = (new("意外错误", "Unexpected error"), new("请求未能完成。如需反馈，请提供追踪编号（traceId）", "The request could not be completed. Quote the trace id if you report it.")),
    };

    /// <summary>The message of a field error.</summary>
    public static string Message(string code, Language language, IReadOnlyList<object?> args)
    {
        if (Fields.TryGetValue(code, out var text)) return Format(text.In(language), args);
        var dot = code.LastIndexOf('.');
        var (what, reason) = dot < 0 ? (code, "invalid") : (code[..dot], code[(dot + 1)..]);
        var label = Labels.TryGetValue(what, out var l) ? l.In(language) : what;
        var template = Reasons.TryGetValue(reason, out var r) ? r.In(language) : Reasons["invalid"].In(language);
        return Format(template.Replace("{label}", label, StringComparison.Ordinal), args);
    }

    /// <summary>The title and detail of a whole-request problem.</summary>
    public static (string Title, string Detail) Request(string code, Language language, IReadOnlyList<object?> args) =>
        Requests.TryGetValue(code, out var entry)
            ? (entry.Title.In(language), Format(entry.Detail.In(language), args))
            : throw new ArgumentException($"'{code}' is not in the error catalogue", nameof(code));

    /// <summary>True when the code has a text of its own or its reason has one (a test walks every code the app uses).</summary>
    public static bool Knows(string code) =>
        Fields.ContainsKey(code) || Requests.ContainsKey(code) ||
        (code.LastIndexOf('.') is var dot and > 0 && Labels.ContainsKey(code[..dot]) && Reasons.ContainsKey(code[(dot + 1)..]));

    /// <summary>¥1,234.56: yuan, thousands grouped, two decimals (the same in both languages).</summary>
    public static string Yuan(Money amount) =>
        (amount.Fen < 0 ? "-¥" : "¥") + (Math.Abs(amount.Fen) / 100).ToString("N0", CultureInfo.InvariantCulture) + "." + (Math.Abs(amount.Fen) % 100).ToString("00", CultureInfo.InvariantCulture);

    private static string Format(string template, IReadOnlyList<object?> args)
    {
        if (args.Count == 0) return template;
        var shown = args.Select(a => a switch
        {
            Money m => Yuan(m),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => a?.ToString() ?? "",
        }).ToArray<object?>();
        return string.Format(CultureInfo.InvariantCulture, template, shown);
    }
}
