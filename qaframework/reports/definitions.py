"""What the board pack's Definitions sheet (and the dashboard's "About these figures") says.

Each entry is (term, definition): the scales, the rules, how each figure is worked out, where the
data comes from, and the suppression rule. Kept beside the figures so a change to a rule and its
description are made together.
"""

from __future__ import annotations

from qaframework.framework import FAMILY_EXPERIENCE3, OFSTED4, TIER_LABELS
from qaframework.reports.suppression import SUPPRESSED, THRESHOLD

__all__ = ["DEFINITIONS"]

_TIERS = "; ".join(TIER_LABELS.values())

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("Period",
     ("An academic year (1 September to 31 August, or the area's own term dates) or one of its six half terms "
     "(Autumn 1 to Summer 2). An audit belongs to the half term it was carried out in.")),
    ("Tiers", f"The four tiers of the area's quality assurance framework: {_TIERS}."),
    ("Grade scale (Tiers 1 to 3)",
     (f"{', '.join(OFSTED4.labels)}. The grade counted is the moderated grade where a panel agreed one, else the "
     "auditor's grade, else the grade the checklist's rule suggested.")),
    ("Family experience (Tier 4)",
     (f"{', '.join(FAMILY_EXPERIENCE3.labels)}. Version 2 of the Tier 4 checklist says Inconsistent for Mixed; "
     "both are counted together as 'Mixed or inconsistent'.")),
    ("Audits done",
     ("Audits submitted, moderated or closed in the period. Drafts and work returned to its auditor are not counted. "
     "Tier 4 reviews are counted only once their board summary has been approved by the QA lead.")),
    ("Targets",
     ("Tier 1: the area's monthly target of plan checks (for each EHC co-ordinator or each team, as the area set "
     "it), times the months in the period. Tier 3: the cases drawn in the period's case samples. Tiers 2 and 4 have "
     "no numeric target. Targets are shown only when no filter is applied.")),
    ("Good or better",
     ("Audits graded Outstanding or Good (Tier 4: Positive), as a percentage of the audits with a grade. The "
     "previous period is the half term before (for a half term) or the academic year before (for a year).")),
    ("Grades by plan section",
     ("Each checklist section is graded; a section covers one or more sections of the EHC plan (A to K). A section "
     "grade is counted under every plan section it covers, so the rows add up to more than the audits.")),
    ("Statutory compliance",
     ("Reported beside the grade, not folded into it. An audit shows a breach when a question marked as a legal "
     "requirement is answered Not met, or the case's recorded dates show one (plan issued after 20 weeks, review "
     "not held within 12 months, advice after 6 weeks), judged as at the day the audit was submitted. The figure is "
     "the share of audits with no breach found.")),
    ("Moderation agreement",
     ("Tier 1 and 2 audits a panel moderated: exact agreement is the share whose moderated grade is the auditor's "
     "grade (or, with none, the suggested grade); within one grade allows one step of difference. Cohen's kappa "
     "corrects for chance agreement (linear and quadratic weights; 1 is perfect, 0 is chance). Never shown by "
     "auditor.")),
    ("Trend by half term",
     "% good or better in each of the six half terms up to the period (the year's six for a whole year)."),
    ("Themes",
     ("The checklist questions most often answered Not met or Partially met in the period's finished audits, as a "
     "share of the answers rated (Not applicable is not a rating). The wording is the checklist's.")),
    ("Actions",
     ("Actions raised from the period's audits (and, with no audit, raised during the period). Open means open or "
     "in progress; overdue means open past its due date on the day the pack was made. RAG: red when more than a "
     "quarter of open actions are overdue, amber when any are, green when none are; no RAG when the figures are "
     "hidden. Owners appear only as their role; descriptions and notes are never included. A theme is shown by "
     "its words only when at least 5 actions share it; others are counted together.")),
    ("20-week rate",
     ("As the DfE publishes it: final EHC plans issued in the period after a first request for assessment, and the "
     "share issued within 20 weeks (140 days) of the request; also without the plans for which an exception "
     "applied. Re-assessments are not part of the measure. Refusals are a share of the requests received in the "
     "period. Requests belong to no agency, so the agency filter does not change them.")),
    ("At risk",
     ("Open requests past the area's at-risk week (week 14 unless the area changed it), due today or overdue, on the "
     "day the pack was made: the number the at-risk page shows.")),
    ("Tier 4",
     ("Only reviews whose board summary passed the anonymisation checklist and was approved by the QA lead; counted "
     "by the reviewer's judgement of the family's experience. No summary text is included.")),
    ("Suppression",
     (f"Board papers may be published, so the pack holds aggregates only: no case reference, URN, name or free text. "
     f"A count of 1 to {THRESHOLD - 1} is shown as {SUPPRESSED} (0 is shown). In a table with totals, every row and "
     f"column holding a hidden figure holds at least two, so none can be worked out from a total: the smallest "
     f"other figure is hidden too. A percentage is hidden when its base is under {THRESHOLD} or the count it is "
     f"made of is hidden. Charts leave hidden figures out (a gap, not a zero).")),
    ("– (dash)", "Nothing to show: no audits, plans or requests to divide by."),
    ("Sources",
     ("The area's QA audit service: audits, grades, moderation records and actions as recorded by auditors, panels "
     "and leads; requests, plans and reviews imported from the case-management system (CSV or the DfE SEN2 "
     "return). Figures are worked out when the pack is made, from the data at that moment.")),
)
