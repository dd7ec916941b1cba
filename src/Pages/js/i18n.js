// Chinese first; English on request. The choice is kept in localStorage.
const dict = {
  "zh-CN": {
    appName: "GivingDay 公益日", lang: "English", liveCampaigns: "公益活动", noCampaigns: "暂无活动",
    group_live: "正在进行", group_draft: "即将开始", group_ended: "已结束",
    notStarted: "活动尚未开始，{t} 开始接受捐赠。", closedNotice: "活动已结束，不再接受捐赠。感谢每一份爱心！", finalizedNotice: "活动已结项，不再接受捐赠。最终结果见排行榜。",
    finalResults: "最终结果", closedAt: "结束于 {t}", finalizedAt: "结项于 {t}",
    giveTo: "为这个项目捐赠（可分享的链接）", verifyTitle: "查证我的捐赠", verifyHint: "输入捐赠编号（在本浏览器捐赠过会自动填好），由您的浏览器独立验证它已写入公开账本。", verifyButton: "查证", verifying: "查证中…",
    verified: "已查证 ✓ 您的捐赠 {amount}（{project}）是公开账本第 {n} 条，包含在 {t} 签署的账本快照中（共 {size} 条）。哈希与签名均由您的浏览器独立计算验证。",
    verifyWaiting: "已收到这笔捐赠，但还没有写入公开账本：捐赠计入总额后，下一次公示（通常在一分钟内）会把它写入。请稍后再查。",
    verifyUnknown: "找不到这笔捐赠，请检查编号。", verifyFailed: "查证未通过（{check}）：账本与签名不一致，请联系组织者。",
    ledgerLine: "公开账本：共 {size} 条 · 根哈希 {root}… · {t}", verifyLink: "查证捐赠",
    status_live: "进行中", status_draft: "未开始", status_closed: "已结束", status_finalized: "已结项",
    goal: "目标", raised: "已筹", matched: "配捐", total: "合计", donors: "人数", pledges: "笔数",
    project: "项目", amount: "金额（元）", name: "姓名（选填，公开时将部分隐藏）", anonymous: "匿名捐赠",
    contact: "手机号或邮箱（选填；配捐需要，不会公开）", message: "留言（选填）", give: "确认捐赠", sending: "提交中…",
    accepted: "已收到您的捐赠，编号 {id}。正在计入总额…", counted: "已计入总额。", countedMatched: "已计入总额，获得配捐 {amount}！",
    tooMany: "提交太频繁，请 {s} 秒后再试。", failed: "提交失败：{detail}", network: "网络异常，请重试（不会重复扣款）。",
    fundActive: "{sponsor} 配捐进行中：比例 1:{ratio}，剩余 {remaining} / {pool}", fundOut: "{sponsor} 配捐已用完",
    leaderboard: "实时排行榜", byTotal: "按金额", byDonors: "按人数", recent: "最新捐赠", anonymousDonor: "爱心人士",
    funds: "配捐池", remaining: "剩余", updated: "更新于 {t}", openLive: "查看实时排行榜", openCampaign: "去捐赠",
    organiser: "组织者后台", key: "组织者密钥", keyHint: "仅保存在本标签页", campaignId: "活动编号", save: "保存",
    definition: "活动定义（JSON）", loadFile: "从文件载入", loadCurrent: "载入当前定义", saveCampaign: "创建 / 更新活动",
    offline: "线下捐赠导入（CSV）", upload: "上传", closeCampaign: "结束活动", confirmClose: "确定结束活动吗？结束后不再接受捐赠。",
    snapshots: "快照", refresh: "刷新", downloadJson: "下载结项快照（JSON）", downloadCsv: "下载捐赠明细（CSV）",
    progressChart: "筹款进度", noSnapshots: "暂无快照", saved: "已保存。", closing: "已提交结束，正在生成结项快照…", imported: "已导入 {n} 笔，共 {amount}。", alreadyImported: "这个文件之前已经导入过，这次没有重复导入。",
    kind: "类型", formTitle: "用表单创建 / 更新活动", f_name: "活动名称", f_event: "公益日", f_starts: "开始（北京时间）", f_ends: "结束（北京时间）",
    f_projects: "项目（每行：编号, 名称, 目标金额（元））", f_funds: "配捐（每行：编号, 企业, 比例, 资金池（元）[, 单笔上限（元）, 每人上限（元）]）", badLine: "第 {n} 行格式不对：{line}", kind_progress: "进度", kind_final: "结项", time: "时间", size: "大小", unauthorized: "密钥不正确。",
    totalRaised: "善款合计（含配捐）", donorsHint: "（不同捐赠人）", pledgesHint: "（捐赠次数）", goalReached: "已完成目标的 {p}%（目标 {goal}）",
    rankByTotal: "按金额排名", rankByDonors: "按人数排名（不同捐赠人）", rank: "排名", peopleCount: "{n} 人", noGiftsYet: "还没有捐赠，期待第一份爱心。", noGifts: "没有捐赠。",
    endsIn: "距结束", startsIn: "距开始", ended: "已结束", finalSnapshotAt: "最终快照 {t}", days: "{n} 天",
    keyNone: "尚未输入密钥。", keyChecking: "正在验证密钥…", keyOk: "密钥正确 ✓", checkKey: "验证密钥",
    pickCampaign: "选择活动", newCampaign: "＋ 新建活动", newCampaignId: "新活动编号（小写字母、数字、连字符）", reloadList: "刷新列表",
    needKey: "请先输入组织者密钥。", needCampaign: "请先选择活动。", preview: "预览变更", dryRunTitle: "保存前预览：", willCreate: "将新建活动「{id}」。",
    changesCount: "共 {n} 处变更，确认后才会保存：", noChanges: "与当前定义相同，没有需要保存的变更。", confirmSave: "确认保存", cancel: "取消", previewFirst: "请先预览变更。",
    field: "字段", from: "原值", to: "新值", none: "（无）", finalRow: "结项快照", finalTakenAt: "生成于 {t}",
    checkpointTitle: "公开账本最终检查点", treeSize: "条目数", rootHash: "根哈希", checkpointTime: "时间", keyId: "签名密钥编号", noFinal: "活动结项后，这里会出现结项快照。",
    rowN: "第 {n} 行", importFailed: "文件没有导入，请修改以下各行后重新上传：", chooseFile: "请先选择文件。",
    donorsTitle: "捐赠人名单（感谢信、捐赠票据）", donorListHint: "名单含捐赠人填写的完整姓名（不含联系方式），每次下载都会记录下载人和时间。",
    staffName: "您的姓名（记录在下载日志中）", donorsCsv: "下载名单（CSV，Excel 可打开）", donorsJson: "下载名单（JSON）", needName: "请先填写您的姓名。",
    donorsDownloaded: "已下载（{format}）。", downloadLog: "下载记录", by: "下载人", at: "时间", format: "格式", rows: "行数", clientAddress: "来源地址", noDownloads: "还没有下载记录。",
    finalized: "活动已结项，结项快照已生成。", stillClosing: "仍在生成结项快照，请稍后点击“刷新”。", downloaded: "已下载 {file}。"
  },
  en: {
    appName: "GivingDay", lang: "中文", liveCampaigns: "Campaigns", noCampaigns: "No campaigns yet",
    group_live: "Live now", group_draft: "Upcoming", group_ended: "Ended",
    notStarted: "Not open yet: gifts are taken from {t}.", closedNotice: "This campaign has ended and takes no more gifts. Thank you!", finalizedNotice: "This campaign is finalized and takes no more gifts; see the final results.",
    finalResults: "Final results", closedAt: "Closed {t}", finalizedAt: "Finalized {t}",
    giveTo: "Give to this project (a link to share)", verifyTitle: "Check my gift", verifyHint: "Enter your pledge id (filled in if you gave from this browser); your browser checks on its own that it is in the public ledger.", verifyButton: "Check", verifying: "Checking…",
    verified: "Verified ✓ Your gift of {amount} ({project}) is entry {n} of the public ledger, in the checkpoint signed {t} ({size} entries). Your browser computed the hashes and checked the signature itself.",
    verifyWaiting: "This gift was received but is not in the public ledger yet: once counted, the next publication (usually within a minute) adds it. Please check again shortly.",
    verifyUnknown: "No gift with this id; please check it.", verifyFailed: "The check failed ({check}): the ledger and its signature disagree; please tell the organiser.",
    ledgerLine: "Public ledger: {size} entries · root {root}… · {t}", verifyLink: "Check a gift",
    status_live: "live", status_draft: "not started", status_closed: "closed", status_finalized: "finalized",
    goal: "Goal", raised: "Raised", matched: "Matched", total: "Total", donors: "Donors", pledges: "Gifts",
    project: "Project", amount: "Amount (yuan)", name: "Name (optional, shown masked)", anonymous: "Give anonymously",
    contact: "Mobile or e-mail (optional; needed for matching, never shown)", message: "Message (optional)", give: "Give", sending: "Sending…",
    accepted: "Received, pledge {id}. Counting it…", counted: "Counted in the totals.", countedMatched: "Counted, and matched with {amount}!",
    tooMany: "Too many tries; please retry in {s} s.", failed: "Not accepted: {detail}", network: "Network problem; please retry (you will not give twice).",
    fundActive: "{sponsor} matching: 1:{ratio}, {remaining} of {pool} left", fundOut: "{sponsor} matching is used up",
    leaderboard: "Live leaderboard", byTotal: "By amount", byDonors: "By donors", recent: "Latest gifts", anonymousDonor: "A kind donor",
    funds: "Matching pools", remaining: "Left", updated: "Updated {t}", openLive: "Live leaderboard", openCampaign: "Give",
    organiser: "Organiser console", key: "Organiser key", keyHint: "kept in this tab only", campaignId: "Campaign id", save: "Save",
    definition: "Campaign definition (JSON)", loadFile: "Load from file", loadCurrent: "Load current definition", saveCampaign: "Create / update campaign",
    offline: "Offline gifts (CSV)", upload: "Upload", closeCampaign: "Close campaign", confirmClose: "Close the campaign? No more gifts will be taken.",
    snapshots: "Snapshots", refresh: "Refresh", downloadJson: "Download final snapshot (JSON)", downloadCsv: "Download ledger (CSV)",
    progressChart: "Progress", noSnapshots: "No snapshots yet", saved: "Saved.", closing: "Closing; the final snapshot follows…", imported: "Imported {n} gifts, {amount} in all.", alreadyImported: "This file was imported before; nothing was added again.",
    kind: "Kind", formTitle: "Create / update with a form", f_name: "Campaign name", f_event: "Giving day", f_starts: "Starts (Beijing time)", f_ends: "Ends (Beijing time)",
    f_projects: "Projects (one a line: id, name, goal in yuan)", f_funds: "Matching funds (one a line: id, sponsor, ratio, pool in yuan[, per-gift cap, per-donor cap in yuan])", badLine: "Line {n} is not in the expected form: {line}", kind_progress: "progress", kind_final: "final", time: "Time", size: "Size", unauthorized: "Wrong key.",
    totalRaised: "Total given (with matching)", donorsHint: "(distinct people)", pledgesHint: "(number of gifts)", goalReached: "{p}% of the goal ({goal})",
    rankByTotal: "Ranked by amount", rankByDonors: "Ranked by donors (distinct people)", rank: "Rank", peopleCount: "{n}", noGiftsYet: "No gifts yet: the first one is awaited.", noGifts: "No gifts.",
    endsIn: "Ends in", startsIn: "Starts in", ended: "Ended", finalSnapshotAt: "final snapshot {t}", days: "{n} d",
    keyNone: "No key entered yet.", keyChecking: "Checking the key…", keyOk: "Key accepted ✓", checkKey: "Check key",
    pickCampaign: "Campaign", newCampaign: "+ New campaign", newCampaignId: "New campaign id (lower-case letters, digits, hyphens)", reloadList: "Reload list",
    needKey: "Enter the organiser key first.", needCampaign: "Choose a campaign first.", preview: "Preview changes", dryRunTitle: "Before saving:", willCreate: "A new campaign \"{id}\" will be created.",
    changesCount: "{n} change(s); nothing is saved until you confirm:", noChanges: "Same as the current definition: nothing to save.", confirmSave: "Confirm and save", cancel: "Cancel", previewFirst: "Preview the changes first.",
    field: "Field", from: "Was", to: "Becomes", none: "(none)", finalRow: "Final snapshot", finalTakenAt: "taken {t}",
    checkpointTitle: "Final public-ledger checkpoint", treeSize: "Entries", rootHash: "Root hash", checkpointTime: "Time", keyId: "Signing key id", noFinal: "The final snapshot appears here once the campaign is finalized.",
    rowN: "Row {n}", importFailed: "The file was not imported; fix these rows and upload it again:", chooseFile: "Choose a file first.",
    donorsTitle: "Donor list (thank-you letters, receipts)", donorListHint: "Full names as donors gave them (no contacts); every download is logged with who and when.",
    staffName: "Your name (kept in the download log)", donorsCsv: "Download list (CSV for Excel)", donorsJson: "Download list (JSON)", needName: "Enter your name first.",
    donorsDownloaded: "Downloaded ({format}).", downloadLog: "Downloads", by: "By", at: "Time", format: "Format", rows: "Rows", clientAddress: "From address", noDownloads: "No downloads yet.",
    finalized: "The campaign is finalized; its final snapshot is ready.", stillClosing: "The final snapshot is still being made; press Refresh shortly.", downloaded: "Downloaded {file}."
  }
};

export let lang = localStorage.getItem("givingday.lang") === "en" ? "en" : "zh-CN";

export function t(key, args = {}) {
  let s = dict[lang][key] ?? dict["zh-CN"][key] ?? key;
  for (const [k, v] of Object.entries(args)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

export function applyTranslations(root = document) {
  document.documentElement.lang = lang;
  root.querySelectorAll("[data-i18n]").forEach(el => { el.textContent = t(el.dataset.i18n); });
  const toggle = document.getElementById("lang");
  if (toggle) toggle.textContent = t("lang");
}

export function setUpLanguageSwitch(onChange) {
  applyTranslations();
  document.getElementById("lang")?.addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    localStorage.setItem("givingday.lang", lang === "en" ? "en" : "zh");
    applyTranslations();
    onChange?.();
  });
}
