"""Permission-matrix rows for grades (DIS-6, MEM-4): my grade and history are the signed-in
user's own; the ladder is readable by any signed-in user; edits need grades.manage."""

PUBLIC: set[str] = set()

_GRADE = '{code: "", name: "", rank: 0}'  # refused (code): changes nothing

OPERATIONS = {
    ("Query", "gradeHistory"): "{ gradeHistory { nodes { toGrade } } }",
    ("Query", "grades"): "{ grades { code } }",
    ("Query", "userGradeHistory"): '{ userGradeHistory(userId: "999999") { nodes { toGrade } } }',
    ("Mutation", "createGrade"): f"mutation {{ createGrade(input: {_GRADE}) {{ errors {{ code }} }} }}",
    ("Mutation", "updateGrade"): f'mutation {{ updateGrade(id: "999999", input: {_GRADE}) {{ errors {{ code }} }} }}',
    ("Mutation", "deleteGrade"): 'mutation { deleteGrade(id: "999999") { errors { code } } }',
    (
        "Mutation",
        "setUserGrade",
    ): 'mutation { setUserGrade(userId: "999999", grade: "V1", reason: "") { errors { code } } }',
}
