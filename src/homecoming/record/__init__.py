"""Record composition: the pages that show a resident's record assembled from the apps' selectors.

The layer between the views and the apps (docs/architecture.md): a view parses and renders, this
package gathers the sections (each app's selector checks the policy and writes its ledger entry),
and no app's selectors reach across to another app to build a page.
"""
