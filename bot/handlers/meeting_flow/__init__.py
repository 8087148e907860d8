"""The meeting flow on the flow engine: /meeting (step by step, or the one-message form), the
Edit button of a meeting, and `/start meeting_<partnership>` from a group's button.

- `fields`: the steps of the meeting's own fields (date, title, kind, participants, ...);
- `actions`: the follow-up actions, asked what → who → due and repeated, the menu of the
  review that changes, removes or adds one, and the guided order of all steps;
- `form`: the one-message form, and the steps it leaves to ask and lines it leaves to place;
- `flow`: the declaration (review, link suggestions, Save) and how the flow starts.
"""
